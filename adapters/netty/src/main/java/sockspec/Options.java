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

import java.net.StandardSocketOptions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Socket options by protocol name, as Netty exposes them: ChannelOption (SO_REUSEADDR,
 * TCP_NODELAY, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_SNDBUF, SO_BROADCAST), and for
 * SO_REUSEPORT the transport's own: EpollChannelOption.SO_REUSEPORT, or on NIO
 * NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT). Set and read with
 * Channel.config().setOption / getOption. "v6only" and "ttl" have no ChannelOption: UNSUPPORTED.
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
        return m;
    }

    static Map<String, ChannelOption<?>> OPTIONS;

    static void init(boolean epoll) {
        OPTIONS = table(epoll);
    }

    static ChannelOption<?> option(String name) throws OpError {
        ChannelOption<?> opt = OPTIONS.get(name);
        if (opt == null) throw unsupported("option '" + name + "' has no Netty ChannelOption");
        return opt;
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
    static void setOption(Channel ch, String name, JsonElement value) throws OpError {
        ChannelOption<?> opt = option(name);
        ChannelConfig config = ch.config();
        boolean known;
        try {
            if (opt == ChannelOption.SO_LINGER) {
                int seconds;
                if (value == null || value.isJsonNull()) seconds = -1; // off
                else if (Args.isInteger(value)) seconds = clampInt(value.getAsString());
                else throw bad("option 'linger' takes null or integer seconds");
                known = config.setOption(ChannelOption.SO_LINGER, seconds);
            } else if (name.equals("rcvbuf") || name.equals("sndbuf")) {
                if (value == null || !Args.isInteger(value)) throw bad("option '" + name + "' takes an integer");
                known = config.setOption((ChannelOption<Integer>) opt, clampInt(value.getAsString()));
            } else {
                if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean())
                    throw bad("option '" + name + "' takes a bool");
                known = config.setOption((ChannelOption<Boolean>) opt, value.getAsBoolean());
            }
        } catch (OpError e) {
            throw e;
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

    static JsonElement getOption(Channel ch, String name) throws OpError {
        ChannelOption<?> opt = option(name);
        Object value;
        try {
            value = ch.config().getOption(opt);
        } catch (RuntimeException e) {
            throw errorOf(e, "getOption " + opt.name());
        }
        if (value == null) throw refused(ch, opt, "getOption");
        if (opt == ChannelOption.SO_LINGER) {
            int seconds = (Integer) value;
            return seconds < 0 ? JsonNull.INSTANCE : new JsonPrimitive(seconds);
        }
        if (value instanceof Boolean) return new JsonPrimitive((Boolean) value);
        return new JsonPrimitive((Integer) value);
    }

    /** The "options" argument of the creating operations: after register, before bind. */
    static void applyOptions(Channel ch, JsonObject options) throws OpError {
        if (options == null) return;
        for (Map.Entry<String, JsonElement> e : options.entrySet()) setOption(ch, e.getKey(), e.getValue());
    }

    static JsonObject opSet(Handles handles, Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        String name = args.string("name");
        if (!args.raw.has("value")) throw bad("missing argument 'value'");
        JsonElement value = args.raw.get("value");
        if (!value.isJsonNull() && !value.isJsonPrimitive()) throw bad("argument 'value' has the wrong type");
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) throw bad("argument 'value' has the wrong type");
        setOption(s.channel, name, value);
        return new JsonObject();
    }

    static JsonObject opGet(Handles handles, Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        JsonObject o = new JsonObject();
        o.add("value", getOption(s.channel, args.string("name")));
        return o;
    }
}
