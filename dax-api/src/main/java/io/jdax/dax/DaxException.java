package io.jdax.dax;

import java.util.Objects;

/**
 * The one exception of the jdax API: a failure with an {@link Errno} code and a message that
 * says what was wrong. Unchecked, because device memory is accessed through
 * {@link java.lang.foreign.MemorySegment} whose own failures are unchecked too.
 */
public class DaxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    /** A failure with a code and a message naming the problem. */
    public DaxException(Errno errno, String message) {
        super(message);
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /** A failure with a code, a message and the exception that caused it. */
    public DaxException(Errno errno, String message, Throwable cause) {
        super(message, cause);
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /** The errno-like code of this failure. */
    public Errno errno() {
        return errno;
    }

    /** What was wrong, without the errno: the message as given. */
    public String reason() {
        return super.getMessage();
    }

    @Override
    public String getMessage() {
        return errno + ": " + super.getMessage();
    }
}
