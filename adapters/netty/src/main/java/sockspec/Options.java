package sockspec;

import static sockspec.Errnos.errorOf;
import static sockspec.OpError.bad;
import static sockspec.OpError.unsupported;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.unix.IntegerUnixChannelOption;

import java.net.StandardSocketOptions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Socket options by protocol name, as Netty exposes them: ChannelOption (SO_REUSEADDR,
 * TCP_NODELAY, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_SNDBUF, SO_BROADCAST), and for
 * SO_REUSEPORT the transport's own: EpollChannelOption.SO_REUSEPORT, or on NIO
 * NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT). Set and read with
 * Channel.config().setOption / getOption.
 *
 * Netty has no ChannelOption for IPV6_V6ONLY, IP_TTL or IPV6_UNICAST_HOPS. The epoll
 * transport takes any integer socket option as an IntegerUnixChannelOption(name, level,
 * optname) (EpollChannelConfig: setsockopt/getsockopt with the kernel's errno), its
 * documented way to reach options it does not name: "v6only" and "ttl" go through it there,
 * and "reuseport" on the channel types whose config has no EpollChannelOption.SO_REUSEPORT
 * (EpollSocketChannelConfig). On NIO, "v6only" and "ttl" answer UNSUPPORTED (not declared).
 */
final class Options {
    private Options() {
    }

    static Map<String, ChannelOption<?>> table(boolean epoll) {
        Map<String, ChannelOption<?>> m = new LinkedHashMap<>();
        m.put("reuseaddr", ChannelOption.SO_REUSEADDR);
        m.put("reuseport", epoll ? EpollChannelOption.SO_REUSEPORT : NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT));
        m.put("nodelay", ChannelOption.TCP_NODELAY);
        m.put("keepalive", ChannelOption.SO_KEEPALIVE);
        m.put("linger", ChannelOption.SO_LINGER);
        m.put("rcvbuf", ChannelOption.SO_RCVBUF);
        m.put("sndbuf", ChannelOption.SO_SNDBUF);
        m.put("broadcast", ChannelOption.SO_BROADCAST);
        // 1.5
        m.put("tos", ChannelOption.IP_TOS);
        // 1.7: Netty's multicast options (DatagramChannelConfig); multicast_loop is
        // IP_MULTICAST_LOOP_DISABLED, the inverse (setOption / getOption below)
        m.put("multicast_loop", ChannelOption.IP_MULTICAST_LOOP_DISABLED);
        m.put("multicast_ttl", ChannelOption.IP_MULTICAST_TTL);
        m.put("multicast_if", ChannelOption.IP_MULTICAST_IF);
        if (epoll) {
            m.put("keepidle", EpollChannelOption.TCP_KEEPIDLE);
            m.put("keepintvl", EpollChannelOption.TCP_KEEPINTVL);
            m.put("keepcnt", EpollChannelOption.TCP_KEEPCNT);
            m.put("user_timeout", EpollChannelOption.TCP_USER_TIMEOUT);
            m.put("cork", EpollChannelOption.TCP_CORK);
            m.put("quickack", EpollChannelOption.TCP_QUICKACK); // 1.7
        } else {
            m.put("keepidle", NioChannelOption.of(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE));
            m.put("keepintvl", NioChannelOption.of(jdk.net.ExtendedSocketOptions.TCP_KEEPINTERVAL));
            m.put("keepcnt", NioChannelOption.of(jdk.net.ExtendedSocketOptions.TCP_KEEPCOUNT));
            m.put("quickack", NioChannelOption.of(jdk.net.ExtendedSocketOptions.TCP_QUICKACK)); // 1.7
        }
        return m;
    }

    static Map<String, ChannelOption<?>> OPTIONS;
    static boolean epoll;

    // <netinet/in.h>, <asm-generic/socket.h> (Linux)
    static final int SOL_SOCKET = 1, SO_REUSEPORT = 15, IPPROTO_IP = 0, IP_TTL = 2, IPPROTO_IPV6 = 41,
        IPV6_UNICAST_HOPS = 16, IPV6_V6ONLY = 26;
    static final IntegerUnixChannelOption GENERIC_REUSEPORT = new IntegerUnixChannelOption("SO_REUSEPORT", SOL_SOCKET, SO_REUSEPORT);
    static final IntegerUnixChannelOption V6ONLY = new IntegerUnixChannelOption("IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY);
    static final IntegerUnixChannelOption TTL4 = new IntegerUnixChannelOption("IP_TTL", IPPROTO_IP, IP_TTL);
    static final IntegerUnixChannelOption HOPS6 = new IntegerUnixChannelOption("IPV6_UNICAST_HOPS", IPPROTO_IPV6, IPV6_UNICAST_HOPS);

    static void init(boolean isEpoll) {
        epoll = isEpoll;
        OPTIONS = table(isEpoll);
    }

    /** The ChannelOption for a protocol name on this channel (family: "ipv4", "ipv6", "unix"). */
    static ChannelOption<?> option(Channel ch, String family, String name) throws OpError {
        if (epoll) {
            switch (name) {
                case "v6only": return V6ONLY;
                case "ttl": return "ipv6".equals(family) ? HOPS6 : TTL4;
                case "reuseport":
                    if (!(ch instanceof io.netty.channel.epoll.EpollSocketChannel)) break;
                    return GENERIC_REUSEPORT; // EpollSocketChannelConfig has no SO_REUSEPORT
                default: break;
            }
        }
        ChannelOption<?> opt = OPTIONS.get(name);
        if (opt == null) throw unsupported("option '" + name + "' has no Netty ChannelOption");
        return opt;
    }

    /** Options whose protocol value is an integer. */
    static boolean isIntegerName(String name) {
        switch (name) {
            case "rcvbuf": case "sndbuf": case "tos": case "multicast_ttl": case "keepidle": case "keepintvl": case "keepcnt": case "user_timeout":
                return true;
            default:
                return false;
        }
    }

    /** Options carried as an int by IntegerUnixChannelOption but boolean in the protocol. */
    static boolean isBooleanName(String name) {
        return !name.equals("linger") && !name.equals("rcvbuf") && !name.equals("sndbuf") && !name.equals("ttl");
    }

    /**
     * ChannelConfig.setOption answers false for an option its channel type does not know
     * (TCP_NODELAY on a datagram channel): Netty reports no errno, the adapter names it
     * ENOPROTOOPT (the kernel's name for an option of another level), supplied.
     */
    static OpError refused(Channel ch, ChannelOption<?> opt, String what) {
        return OpError.supplied("ENOPROTOOPT", what + " " + opt.name() + ": "
            + ch.getClass().getSimpleName() + "'s config does not know this ChannelOption (returned "
            + (what.startsWith("set") ? "false" : "null") + ")");
    }

    @SuppressWarnings("unchecked")
    static void setOption(Channel ch, String family, String name, JsonElement value) throws OpError {
        ChannelOption<?> opt = option(ch, family, name);
        ChannelConfig config = ch.config();
        boolean known;
        try {
            if (opt == ChannelOption.IP_MULTICAST_LOOP_DISABLED) {
                // the protocol's multicast_loop is "loop on": Netty's option says "loop off"
                if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean())
                    throw bad("option '" + name + "' takes a bool");
                known = config.setOption(ChannelOption.IP_MULTICAST_LOOP_DISABLED, !value.getAsBoolean());
            } else if (opt == ChannelOption.IP_MULTICAST_IF) {
                // an interface object, as a NetworkInterface; null is passed on as it is
                java.net.NetworkInterface ni = null;
                if (value != null && value.isJsonObject()) ni = Multicast.networkInterface(value.getAsJsonObject());
                else if (value != null && !value.isJsonNull()) throw bad("option 'multicast_if' takes an interface object");
                known = config.setOption(ChannelOption.IP_MULTICAST_IF, ni);
            } else if (opt == ChannelOption.SO_LINGER) {
                int seconds;
                if (value == null || value.isJsonNull()) seconds = -1; // off
                else if (Args.isInteger(value)) seconds = clampInt(value.getAsString());
                else throw bad("option 'linger' takes null or integer seconds");
                known = config.setOption(ChannelOption.SO_LINGER, seconds);
            } else if (opt instanceof IntegerUnixChannelOption && isBooleanName(name)) {
                if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean())
                    throw bad("option '" + name + "' takes a bool");
                known = config.setOption((IntegerUnixChannelOption) opt, value.getAsBoolean() ? 1 : 0);
            } else if (opt instanceof IntegerUnixChannelOption || isIntegerName(name)) {
                if (value == null || !Args.isInteger(value)) throw bad("option '" + name + "' takes an integer");
                known = config.setOption((ChannelOption<Integer>) opt, clampInt(value.getAsString()));
            } else {
                if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean())
                    throw bad("option '" + name + "' takes a bool");
                known = config.setOption((ChannelOption<Boolean>) opt, value.getAsBoolean());
            }
        } catch (OpError e) {
            throw e;
        } catch (NullPointerException e) {
            // ChannelOption.validate refuses a null value (multicast_if null) before any system call
            throw OpError.supplied("EINVAL", "setOption " + opt.name() + ": NullPointerException: " + e.getMessage()
                + " (Netty's ChannelOption.validate takes no null value)");
        } catch (RuntimeException e) {
            throw errorOf(e, "setOption " + opt.name());
        }
        if (!known) throw refused(ch, opt, "setOption");
    }

    static int clampInt(String text) throws OpError {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw OpError.supplied("EINVAL", "value out of range of a Java int: " + text);
        }
    }

    static JsonElement getOption(Channel ch, String family, String name) throws OpError {
        ChannelOption<?> opt = option(ch, family, name);
        Object value;
        try {
            value = ch.config().getOption(opt);
        } catch (RuntimeException e) {
            throw errorOf(e, "getOption " + opt.name());
        }
        if (opt == ChannelOption.IP_MULTICAST_IF) {
            // null is "unset" here (INADDR_ANY / index 0); a channel type without the option is refused
            if (value == null && !(ch instanceof io.netty.channel.socket.DatagramChannel)) throw refused(ch, opt, "getOption");
            return Multicast.multicastIfValue(family, (java.net.NetworkInterface) value);
        }
        if (value == null) throw refused(ch, opt, "getOption");
        if (opt == ChannelOption.IP_MULTICAST_LOOP_DISABLED) return new JsonPrimitive(!(Boolean) value);
        if (opt == ChannelOption.SO_LINGER) {
            int seconds = (Integer) value;
            return seconds < 0 ? JsonNull.INSTANCE : new JsonPrimitive(seconds);
        }
        if (value instanceof Boolean) return new JsonPrimitive((Boolean) value);
        if (opt instanceof IntegerUnixChannelOption && isBooleanName(name))
            return new JsonPrimitive((Integer) value != 0);
        return new JsonPrimitive((Integer) value);
    }

    /** The "options" argument of the creating operations: after register, before bind. */
    static void applyOptions(Channel ch, String family, JsonObject options) throws OpError {
        if (options == null) return;
        for (Map.Entry<String, JsonElement> e : options.entrySet()) setOption(ch, family, e.getKey(), e.getValue());
    }

    static JsonObject opSet(Handles handles, Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        String name = args.string("name");
        if (!args.raw.has("value")) throw bad("missing argument 'value'");
        JsonElement value = args.raw.get("value");
        // an object only for multicast_if (1.7: an interface object)
        if (!value.isJsonNull() && !value.isJsonPrimitive() && !(value.isJsonObject() && name.equals("multicast_if")))
            throw bad("argument 'value' has the wrong type");
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) throw bad("argument 'value' has the wrong type");
        setOption(s.channel, s.family, name, value);
        return new JsonObject();
    }

    static JsonObject opGet(Handles handles, Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        JsonObject o = new JsonObject();
        o.add("value", getOption(s.channel, s.family, args.string("name")));
        return o;
    }
}
