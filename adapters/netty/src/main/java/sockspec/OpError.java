package sockspec;

/** An operation failed with a protocol code (errno name, UNSUPPORTED, BADREQUEST). */
final class OpError extends Exception {
    private static final long serialVersionUID = 1L;

    final String code;
    /** The adapter chose the name: java.nio reported no errno (protocol 1.3, §2.2). */
    final boolean supplied;

    OpError(String code, String message) {
        this(code, message, false);
    }

    private OpError(String code, String message, boolean supplied) {
        super(message, null, false, false);
        this.code = code;
        this.supplied = supplied;
    }

    /** An errno name the adapter chose itself, answered with "supplied": true. */
    static OpError supplied(String code, String message) {
        return new OpError(code, message, true);
    }

    static OpError bad(String message) {
        return new OpError("BADREQUEST", message);
    }

    static OpError unsupported(String message) {
        return new OpError("UNSUPPORTED", message);
    }
}
