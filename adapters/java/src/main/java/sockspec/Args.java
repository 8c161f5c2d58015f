package sockspec;

import static sockspec.OpError.bad;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.net.StandardProtocolFamily;
import java.util.Base64;
import java.util.regex.Pattern;

/** A request's "args", decoded with the protocol's types; a missing or ill-typed one is BADREQUEST. */
final class Args {
    static final double DEFAULT_TIMEOUT = 5.0;
    static final Pattern INTEGER = Pattern.compile("-?[0-9]+");

    final JsonObject raw;

    Args(JsonElement raw) throws OpError {
        if (raw == null || raw.isJsonNull()) this.raw = new JsonObject();
        else if (raw.isJsonObject()) this.raw = raw.getAsJsonObject();
        else throw bad("args must be an object");
    }

    JsonElement value(String name) {
        JsonElement v = raw.get(name);
        return v == null || v.isJsonNull() ? null : v;
    }

    boolean has(String name) {
        return value(name) != null;
    }

    static boolean isInteger(JsonElement v) {
        return v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
            && INTEGER.matcher(v.getAsJsonPrimitive().getAsString()).matches();
    }

    long integer(String name) throws OpError {
        JsonElement v = value(name);
        if (v == null) throw bad("missing argument '" + name + "'");
        if (!isInteger(v)) throw bad("argument '" + name + "' must be an integer");
        try {
            return Long.parseLong(v.getAsString());
        } catch (NumberFormatException e) {
            throw bad("argument '" + name + "' is out of range");
        }
    }

    long integer(String name, long fallback) throws OpError {
        return has(name) ? integer(name) : fallback;
    }

    String string(String name) throws OpError {
        JsonElement v = value(name);
        if (v == null) throw bad("missing argument '" + name + "'");
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString())
            throw bad("argument '" + name + "' must be a string");
        return v.getAsString();
    }

    JsonObject object(String name) throws OpError {
        JsonElement v = value(name);
        if (v == null) return null;
        if (!v.isJsonObject()) throw bad("argument '" + name + "' must be an object");
        return v.getAsJsonObject();
    }

    /** A boolean flag (protocol 1.5): absent or null is false. */
    boolean flag(String name) throws OpError {
        JsonElement v = value(name);
        if (v == null) return false;
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isBoolean())
            throw bad("argument '" + name + "' must be a bool");
        return v.getAsBoolean();
    }

    /**
     * The 1.5 flags java.nio has no counterpart for (peek, waitall, trunc, oob, blocking):
     * never declared, so UNSUPPORTED when set. dontwait is the one it has (every channel
     * here is non-blocking): the caller reads it with {@link #flag}.
     */
    void refuseFlags(String op, String... names) throws OpError {
        for (String n : names) {
            if (flag(n)) throw OpError.unsupported(op + ": java.nio.channels has no '" + n + "' (README.md)");
        }
    }

    /** timeout, or 0 with dontwait (MSG_DONTWAIT: one attempt on the non-blocking channel). */
    double timeoutOrDontwait() throws OpError {
        double t = timeout();
        return flag("dontwait") ? 0 : t;
    }

    double timeout() throws OpError {
        JsonElement v = value("timeout");
        if (v == null) return DEFAULT_TIMEOUT;
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber())
            throw bad("timeout must be a number >= 0");
        double t = v.getAsDouble();
        if (!(t >= 0) || Double.isInfinite(t)) throw bad("timeout must be a number >= 0");
        return t;
    }

    byte[] data() throws OpError {
        String text = string("data");
        // java.util.Base64's decoder accepts unpadded input; RFC 4648 §4 with padding does not.
        if (text.length() % 4 != 0) throw bad("invalid base64 data: length is not a multiple of 4");
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw bad("invalid base64 data: " + e.getMessage());
        }
    }

    StandardProtocolFamily family() throws OpError {
        String name = string("family");
        switch (name) {
            case "ipv4": return StandardProtocolFamily.INET;
            case "ipv6": return StandardProtocolFamily.INET6;
            default: throw bad("unknown family '" + name + "'");
        }
    }
}
