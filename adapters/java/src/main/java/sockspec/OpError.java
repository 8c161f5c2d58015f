package sockspec;

/** An operation failed with a protocol code (errno name, UNSUPPORTED, BADREQUEST). */
final class OpError extends Exception {
    private static final long serialVersionUID = 1L;

    final String code;

    OpError(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    static OpError bad(String message) {
        return new OpError("BADREQUEST", message);
    }

    static OpError unsupported(String message) {
        return new OpError("UNSUPPORTED", message);
    }
}
