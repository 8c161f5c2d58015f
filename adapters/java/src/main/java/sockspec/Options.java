package sockspec;

import static sockspec.Errnos.errorOf;
import static sockspec.OpError.bad;
import static sockspec.OpError.unsupported;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import java.io.IOException;
import java.net.NetworkInterface;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.util.LinkedHashMap;
import java.util.Map;

/** Socket options by protocol name, through java.net.StandardSocketOptions; opt.set / opt.get. */
final class Options {
    private Options() {
    }

    static final Map<String, SocketOption<?>> OPTIONS = new LinkedHashMap<>();

    static {
        OPTIONS.put("reuseaddr", StandardSocketOptions.SO_REUSEADDR);
        OPTIONS.put("reuseport", StandardSocketOptions.SO_REUSEPORT);
        OPTIONS.put("nodelay", StandardSocketOptions.TCP_NODELAY);
        OPTIONS.put("keepalive", StandardSocketOptions.SO_KEEPALIVE);
        OPTIONS.put("linger", StandardSocketOptions.SO_LINGER);
        OPTIONS.put("rcvbuf", StandardSocketOptions.SO_RCVBUF);
        OPTIONS.put("sndbuf", StandardSocketOptions.SO_SNDBUF);
        OPTIONS.put("broadcast", StandardSocketOptions.SO_BROADCAST);
        // 1.5
        OPTIONS.put("keepidle", jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE);
        OPTIONS.put("keepintvl", jdk.net.ExtendedSocketOptions.TCP_KEEPINTERVAL);
        OPTIONS.put("keepcnt", jdk.net.ExtendedSocketOptions.TCP_KEEPCOUNT);
        OPTIONS.put("tos", StandardSocketOptions.IP_TOS); // the JDK sets IPV6_TCLASS on an IPv6 socket
        // 1.7: the JDK sets the IPV6_ option on an IPv6 channel (and the IPv4 one beside it)
        OPTIONS.put("multicast_loop", StandardSocketOptions.IP_MULTICAST_LOOP);
        OPTIONS.put("multicast_ttl", StandardSocketOptions.IP_MULTICAST_TTL);
        OPTIONS.put("multicast_if", StandardSocketOptions.IP_MULTICAST_IF); // a NetworkInterface
        OPTIONS.put("quickack", jdk.net.ExtendedSocketOptions.TCP_QUICKACK); // 1.7, Linux (JDK 10+)
        // rcvtimeo, sndtimeo, user_timeout, cork, oobinline, type, acceptconn, error: no
        // counterpart in StandardSocketOptions or jdk.net (README.md)
        // "v6only" and "ttl" have no StandardSocketOptions (nor jdk.net) counterpart: UNSUPPORTED
    }

    /**
     * The option by protocol name; UNSUPPORTED only for a name with no counterpart (never
     * declared). A declared option on a channel that does not take it (TCP_NODELAY on a
     * DatagramChannel, SO_BROADCAST on a SocketChannel) is still tried (protocol 1.3, §7):
     * java.nio refuses it itself, without a system call, and {@link #refused} names that.
     */
    static SocketOption<?> option(NetworkChannel channel, String name) throws OpError {
        if (name.equals(NONBLOCK)) throw unsupported("option 'nonblock' is the channel's blocking mode, not a socket option");
        SocketOption<?> opt = OPTIONS.get(name);
        if (opt == null) throw unsupported("option '" + name + "' has no java.net.StandardSocketOptions counterpart");
        return opt;
    }

    /**
     * java.nio's answer to an option its channel type does not take: an
     * UnsupportedOperationException ("'TCP_NODELAY' not supported"), no errno. The closest
     * name is the kernel's for an option of another level, ENOPROTOOPT, supplied.
     */
    static OpError refused(UnsupportedOperationException e, String context) {
        return OpError.supplied("ENOPROTOOPT", context + ": UnsupportedOperationException: " + e.getMessage());
    }

    /** 1.7 "nonblock": SelectableChannel.configureBlocking / isBlocking, not a SocketOption. */
    static final String NONBLOCK = "nonblock";

    @SuppressWarnings("unchecked")
    static void setOption(NetworkChannel channel, StandardProtocolFamily family, String name, JsonElement value)
            throws OpError {
        if (name.equals(NONBLOCK)) {
            if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean())
                throw bad("option 'nonblock' takes a bool");
            Blocking.set(channel, value.getAsBoolean());
            return;
        }
        SocketOption<?> opt = option(channel, name);
        try {
            if (opt == StandardSocketOptions.IP_MULTICAST_IF) {
                // an interface object, as java.nio's NetworkInterface; null is passed on as it
                // is (the JDK refuses it: IllegalArgumentException, EINVAL supplied)
                NetworkInterface ni = null;
                if (value != null && value.isJsonObject()) ni = Multicast.networkInterface(value.getAsJsonObject());
                else if (value != null && !value.isJsonNull()) throw bad("option 'multicast_if' takes an interface object");
                channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, ni);
            } else if (opt.type() == Boolean.class) {
                if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean())
                    throw bad("option '" + name + "' takes a bool");
                channel.setOption((SocketOption<Boolean>) opt, value.getAsBoolean());
            } else if (opt == StandardSocketOptions.SO_LINGER) {
                int seconds;
                if (value == null || value.isJsonNull()) seconds = -1; // off
                else if (Args.isInteger(value)) seconds = clampInt(value.getAsString());
                else throw bad("option 'linger' takes null or integer seconds");
                channel.setOption(StandardSocketOptions.SO_LINGER, seconds);
            } else {
                if (value == null || !Args.isInteger(value)) throw bad("option '" + name + "' takes an integer");
                channel.setOption((SocketOption<Integer>) opt, clampInt(value.getAsString()));
            }
        } catch (UnsupportedOperationException e) {
            throw refused(e, "setOption " + opt.name());
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "setOption " + opt.name());
        }
    }

    static int clampInt(String text) throws OpError {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw OpError.supplied("EINVAL", "value out of range of a Java int: " + text);
        }
    }

    static JsonElement getOption(NetworkChannel channel, StandardProtocolFamily family, String name) throws OpError {
        if (name.equals(NONBLOCK)) return new JsonPrimitive(Blocking.isNonBlocking(channel));
        SocketOption<?> opt = option(channel, name);
        Object value;
        try {
            value = channel.getOption(opt);
        } catch (UnsupportedOperationException e) {
            throw refused(e, "getOption " + opt.name());
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "getOption " + opt.name());
        }
        if (opt == StandardSocketOptions.SO_LINGER) {
            int seconds = (Integer) value;
            return seconds < 0 ? JsonNull.INSTANCE : new JsonPrimitive(seconds);
        }
        if (opt == StandardSocketOptions.IP_MULTICAST_IF) return Multicast.multicastIfValue(family, (NetworkInterface) value);
        if (value instanceof Boolean) return new JsonPrimitive((Boolean) value);
        return new JsonPrimitive((Integer) value);
    }

    /** The "options" argument of tcp.listen / tcp.socket / tcp.connect / udp.bind, before bind. */
    static void applyOptions(NetworkChannel channel, StandardProtocolFamily family, JsonObject options) throws OpError {
        if (options == null) return;
        for (Map.Entry<String, JsonElement> e : options.entrySet()) setOption(channel, family, e.getKey(), e.getValue());
    }

    // ---- operations --------------------------------------------------------------------

    static JsonObject opSet(Handles handles, Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        String name = args.string("name");
        if (!args.raw.has("value")) throw bad("missing argument 'value'");
        JsonElement value = args.raw.get("value");
        // an object only for multicast_if (1.7: an interface object)
        if (!value.isJsonNull() && !value.isJsonPrimitive() && !(value.isJsonObject() && name.equals("multicast_if")))
            throw bad("argument 'value' has the wrong type");
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) throw bad("argument 'value' has the wrong type");
        if (s.server != null && name.equals(NONBLOCK))
            throw unsupported("option 'nonblock' of an echo server (serve.start): its channels are the server's own");
        setOption(s.channel, s.family, name, value);
        return new JsonObject();
    }

    static JsonObject opGet(Handles handles, Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        JsonObject o = new JsonObject();
        String name = args.string("name");
        if (s.server != null && name.equals(NONBLOCK))
            throw unsupported("option 'nonblock' of an echo server (serve.start): its channels are the server's own");
        o.add("value", getOption(s.channel, s.family, name));
        return o;
    }
}
