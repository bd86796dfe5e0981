package io.jdax.daxfs;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * File names: 1 to {@value DaxFs#NAME_MAX} bytes of UTF-8, no NUL, no {@code '/'} (the namespace
 * is flat; the slash stays free for directories), not {@code .} or {@code ..}.
 */
final class Names {
    private Names() {
    }

    /**
     * The UTF-8 bytes of a valid name.
     *
     * @throws DaxException EINVAL for a null, empty or malformed name, or one holding NUL or '/';
     *                      ENAMETOOLONG past {@value DaxFs#NAME_MAX} bytes
     */
    static byte[] encode(String name) {
        if (name == null) {
            throw new DaxException(Errno.EINVAL, "file name is null");
        }
        if (name.isEmpty()) {
            throw new DaxException(Errno.EINVAL, "file name is empty");
        }
        byte[] b;
        try {
            ByteBuffer bb = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(name));
            b = new byte[bb.remaining()];
            bb.get(b);
        } catch (CharacterCodingException e) {
            throw new DaxException(Errno.EINVAL, "file name " + quote(name) + " is not valid Unicode (an unpaired surrogate)");
        }
        if (b.length > DaxFs.NAME_MAX) {
            throw new DaxException(Errno.ENAMETOOLONG, "file name of " + b.length + " UTF-8 bytes is longer than "
                    + DaxFs.NAME_MAX + ": " + quote(name.substring(0, Math.min(40, name.length()))) + "...");
        }
        String why = problem(b);
        if (why != null) {
            throw new DaxException(Errno.EINVAL, "file name " + quote(name) + " " + why);
        }
        return b;
    }

    /** What is wrong with name bytes read from the media, or null. */
    static String check(byte[] b) {
        if (b.length == 0 || b.length > DaxFs.NAME_MAX) {
            return "has " + b.length + " bytes";
        }
        String why = problem(b);
        if (why != null) {
            return why;
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
        } catch (CharacterCodingException e) {
            return "is not valid UTF-8";
        }
        return null;
    }

    static String decode(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String problem(byte[] b) {
        for (byte c : b) {
            if (c == 0) {
                return "holds a NUL byte";
            }
            if (c == '/') {
                return "holds '/' (daxfs has one flat directory)";
            }
        }
        if (b.length <= 2 && (b[0] == '.' && (b.length == 1 || b[1] == '.'))) {
            return "is reserved ('.' and '..' name directories)";
        }
        return null;
    }

    /** A name as messages show it: quoted, control characters escaped. */
    static String quote(String name) {
        StringBuilder sb = new StringBuilder("'");
        name.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F) {
                sb.append(String.format("\\x%02x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append('\'').toString();
    }
}
