package io.jdax.arch;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Chooses the JVM's {@link Arch} once, through {@link ServiceLoader}: the highest-priority
 * {@link ArchProvider} that loads, unless {@value #ARCH_PROPERTY} names one.
 */
public final class Archs {

    /**
     * System property naming the Arch to use ({@code native-x86}, {@code portable}, ...). When
     * set, that provider must load or {@link #current()} fails: a forced choice is never silently
     * replaced.
     */
    public static final String ARCH_PROPERTY = "jdax.arch";

    private Archs() {
    }

    private static final class Holder {
        static final ArchSelection SELECTION = select(
                ServiceLoader.load(ArchProvider.class, Archs.class.getClassLoader()),
                System.getProperty(ARCH_PROPERTY));
    }

    /** The JVM's Arch, chosen on first use. */
    public static Arch current() {
        return Holder.SELECTION.arch();
    }

    /** The choice made for {@link #current()}, with the reasons. */
    public static ArchSelection selection() {
        return Holder.SELECTION;
    }

    /**
     * Chooses among {@code providers}: the named one if {@code forced} is not null, else the
     * highest priority (≥ 0) that loads.
     *
     * @throws DaxException ENODEV if the forced provider does not exist or fails to load, or none loads
     */
    public static ArchSelection select(Iterable<ArchProvider> providers, String forced) {
        List<ArchProvider> found = new ArrayList<>();
        List<ArchSelection.Candidate> candidates = new ArrayList<>();
        var it = providers.iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError e) {
                candidates.add(new ArchSelection.Candidate("?", Integer.MIN_VALUE, "provider failed: " + e.getMessage()));
            }
        }
        found.sort(Comparator.comparingInt(ArchProvider::priority).reversed());
        if (forced != null && !forced.isBlank()) {
            return selectForced(found, forced.strip(), candidates);
        }
        Arch chosen = null;
        String reason = null;
        List<String> skipped = new ArrayList<>();
        for (ArchProvider p : found) {
            if (chosen != null || p.priority() < 0) {
                candidates.add(new ArchSelection.Candidate(p.name(), p.priority(),
                        p.priority() < 0 ? "only when named by -D" + ARCH_PROPERTY : "not tried, lower priority"));
                continue;
            }
            try {
                chosen = p.load();
                reason = skipped.isEmpty() ? "highest priority that loaded"
                        : String.join("; ", skipped);
                candidates.add(new ArchSelection.Candidate(p.name(), p.priority(), "chosen"));
            } catch (RuntimeException | LinkageError e) {
                String why = e instanceof DaxException d ? d.reason() : e.toString();
                skipped.add(p.name() + " unavailable: " + why);
                candidates.add(new ArchSelection.Candidate(p.name(), p.priority(), "unavailable: " + why));
            }
        }
        if (chosen == null) {
            throw new DaxException(Errno.ENODEV, "no Arch could be loaded: " + candidates);
        }
        if (found.stream().noneMatch(ArchProvider::cacheInstructions)) {
            reason = "no Arch with the CPU's cache instructions is installed"
                    + (skipped.isEmpty() ? "" : "; " + String.join("; ", skipped));
        }
        return new ArchSelection(chosen, reason, candidates);
    }

    private static ArchSelection selectForced(List<ArchProvider> found, String forced,
                                              List<ArchSelection.Candidate> candidates) {
        ArchProvider named = found.stream().filter(p -> p.name().equals(forced)).findFirst()
                .orElseThrow(() -> new DaxException(Errno.ENODEV, "-D" + ARCH_PROPERTY + "=" + forced
                        + " names no installed Arch (installed: "
                        + found.stream().map(ArchProvider::name).toList() + ")"));
        Arch arch;
        try {
            arch = named.load();
        } catch (RuntimeException | LinkageError e) {
            throw new DaxException(Errno.ENODEV, "-D" + ARCH_PROPERTY + "=" + forced + " cannot load: " + e.getMessage(), e);
        }
        for (ArchProvider p : found) {
            candidates.add(new ArchSelection.Candidate(p.name(), p.priority(), p == named ? "chosen" : "not tried, "
                    + ARCH_PROPERTY + " names another"));
        }
        return new ArchSelection(arch, "forced by -D" + ARCH_PROPERTY + "=" + forced, candidates);
    }
}
