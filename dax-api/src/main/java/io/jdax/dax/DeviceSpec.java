package io.jdax.dax;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A device specification, the one grammar every driver shares:
 * {@code scheme:path?key=value&key=value}, e.g. {@code pmem:/mnt/pmem/a?size=1G&create=true}
 * or {@code brd:scratch?size=1T}. The scheme picks the driver, as a JDBC URL does; the path and
 * the parameters mean what that driver documents. A path cannot contain {@code ?}.
 *
 * @param text   the specification as given
 * @param scheme the driver's scheme, lower case
 * @param path   the part between {@code :} and {@code ?}, possibly empty
 * @param params the parameters in the order given
 */
public record DeviceSpec(String text, String scheme, String path, Map<String, String> params) {
    private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9+.-]*");
    private static final Pattern KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]*");

    /** Copies the parameters into an unmodifiable map that keeps their order. */
    public DeviceSpec {
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    /**
     * Parses a specification.
     *
     * @throws DaxException EINVAL naming the bad part
     */
    public static DeviceSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new DaxException(Errno.EINVAL, "empty device spec: expected scheme:path?key=value, e.g. brd:ram0?size=64M");
        }
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new DaxException(Errno.EINVAL,
                    "device spec '" + text + "' has no scheme: expected scheme:path?key=value, e.g. pmem:/mnt/pmem/file");
        }
        String scheme = text.substring(0, colon);
        if (!SCHEME.matcher(scheme).matches()) {
            throw new DaxException(Errno.EINVAL, "device spec '" + text + "': bad scheme '" + scheme
                    + "' (lower-case letters, digits, '+', '.', '-'; starting with a letter)");
        }
        String rest = text.substring(colon + 1);
        int question = rest.indexOf('?');
        String path = question < 0 ? rest : rest.substring(0, question);
        Map<String, String> params = new LinkedHashMap<>();
        if (question >= 0) {
            String query = rest.substring(question + 1);
            if (query.isEmpty()) {
                throw new DaxException(Errno.EINVAL, "device spec '" + text + "': '?' with no parameters after it");
            }
            for (String pair : query.split("&", -1)) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                if (eq < 0 || !KEY.matcher(key).matches()) {
                    throw new DaxException(Errno.EINVAL, "device spec '" + text + "': bad parameter '" + pair
                            + "' (expected key=value)");
                }
                if (params.putIfAbsent(key, pair.substring(eq + 1)) != null) {
                    throw new DaxException(Errno.EINVAL, "device spec '" + text + "': parameter '" + key + "' given twice");
                }
            }
        }
        return new DeviceSpec(text, scheme, path, params);
    }

    /** The value of a parameter, if given. */
    public Optional<String> param(String key) {
        return Optional.ofNullable(params.get(key));
    }

    /**
     * A size parameter ({@code 64M}, {@code 1G}, ...), if given.
     *
     * @throws DaxException EINVAL naming the parameter and its bad value
     */
    public OptionalLong size(String key) {
        String value = params.get(key);
        if (value == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Sizes.parse(value));
        } catch (DaxException e) {
            throw new DaxException(Errno.EINVAL, "device spec '" + text + "': parameter '" + key + "': "
                    + e.getMessage().substring(e.errno().name().length() + 2));
        }
    }

    /**
     * A boolean parameter: {@code true/false}, {@code yes/no}, {@code 1/0}, or given with an
     * empty value ({@code ?create=}) meaning true.
     */
    public boolean flag(String key, boolean defaultValue) {
        String value = params.get(key);
        if (value == null) {
            return defaultValue;
        }
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "", "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new DaxException(Errno.EINVAL, "device spec '" + text + "': parameter '" + key
                    + "' must be true or false, not '" + value + "'");
        };
    }

    /**
     * Fails when a parameter the driver does not know was given, so a typo ({@code sise=1G})
     * never goes unnoticed.
     *
     * @throws DaxException EINVAL naming the unknown parameter and the known ones
     */
    public void requireKnownParams(Set<String> known) {
        for (String key : params.keySet()) {
            if (!known.contains(key)) {
                throw new DaxException(Errno.EINVAL, "device spec '" + text + "': unknown parameter '" + key
                        + "' for scheme '" + scheme + "' (known: " + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }

    @Override
    public String toString() {
        return text;
    }
}
