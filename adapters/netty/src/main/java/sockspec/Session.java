package sockspec;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.Version;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** hello (protocol version and the features this transport can do), reset and close. */
final class Session {
    static final String PROTOCOL_VERSION = "1.8";

    private final Handles handles;
    private final Net net;
    private List<String> features;

    Session(Handles handles, Net net) {
        this.handles = handles;
        this.net = net;
    }

    /**
     * An option is declared when every channel type it applies to knows it (its config's
     * getOption answers non-null): reuseaddr and reuseport on listeners, connections and
     * datagram channels; nodelay, keepalive and linger on connections; rcvbuf and sndbuf on
     * connections and datagram channels; broadcast on datagram channels.
     */
    private boolean knows(String name, String... kinds) {
        for (String kind : kinds) {
            Channel ch = null;
            try {
                switch (kind) {
                    case "server": ch = net.serverSocketChannel(SocketProtocolFamily.INET); break;
                    case "socket": ch = net.socketChannel(SocketProtocolFamily.INET); break;
                    default: ch = net.datagramChannel(SocketProtocolFamily.INET); break;
                }
                if (ch.config().getOption(Options.option(ch, "ipv4", name)) == null) return false;
            } catch (OpError | RuntimeException e) {
                return false;
            } finally {
                if (ch != null) ch.unsafe().closeForcibly();
            }
        }
        return true;
    }

    /** The same probe on IPv6 channels (v6only exists only there). */
    private boolean knows6(String name) {
        for (int kind = 0; kind < 3; kind++) {
            Channel ch = null;
            try {
                ch = kind == 0 ? net.serverSocketChannel(SocketProtocolFamily.INET6)
                    : kind == 1 ? net.socketChannel(SocketProtocolFamily.INET6) : net.datagramChannel(SocketProtocolFamily.INET6);
                if (ch.config().getOption(Options.option(ch, "ipv6", name)) == null) return false;
            } catch (OpError | RuntimeException e) {
                return false;
            } finally {
                if (ch != null) ch.unsafe().closeForcibly();
            }
        }
        return true;
    }

    List<String> features() {
        if (features != null) return features;
        List<String> f = new ArrayList<>(List.of(
            "tcp", "udp", "udp.connect", "ipv4", "tcp.socket", "tcp.bind-connect",
            "stream.shutdown", "stream.shutdown.write", "stream.shutdown.read", "stream.abort",
            "nonblocking", "serve.tcp", "serve.udp"));
        try {
            Channel probe = net.datagramChannel(SocketProtocolFamily.INET6);
            probe.unsafe().closeForcibly();
            f.add(4, "ipv6");
        } catch (RuntimeException e) {
            // no IPv6 sockets here
        }
        try {
            net.serverDomainSocketChannel().unsafe().closeForcibly();
            f.add("unix.stream"); // NioServerDomainSocketChannel needs JDK 16+; epoll always has it
            f.add("serve.unix"); // the EchoServer pattern on the server domain socket channel
            if (net.epoll) {
                f.add("serve.unixgram"); // the datagram echo on EpollDomainDatagramChannel
                f.add("unix.dgram"); // EpollDomainDatagramChannel
                f.add("unix.peercred"); // EpollDomainSocketChannel.peerCredentials()
                f.add("unix.abstract"); // DomainSocketAddress("\0name")
            }
        } catch (RuntimeException e) {
            // no Unix-domain channels here
        }
        if (knows("reuseaddr", "server", "socket", "datagram")) f.add("opt.reuseaddr");
        if (knows("reuseport", "server", "socket", "datagram")) f.add("opt.reuseport");
        if (net.epoll && knows("ttl", "server", "socket", "datagram")) f.add("opt.ttl"); // IntegerUnixChannelOption
        if (net.epoll && f.contains("ipv6") && knows6("v6only")) f.add("opt.v6only"); // IntegerUnixChannelOption
        if (knows("nodelay", "socket")) f.add("opt.nodelay");
        if (knows("keepalive", "socket")) f.add("opt.keepalive");
        if (knows("linger", "socket")) f.add("opt.linger");
        if (knows("rcvbuf", "socket", "datagram")) f.add("opt.rcvbuf");
        if (knows("sndbuf", "socket", "datagram")) f.add("opt.sndbuf");
        if (knows("broadcast", "datagram")) f.add("opt.broadcast");
        f.add("udp.disconnect"); // Channel.disconnect() on a DatagramChannel (1.5)
        // 1.7: DatagramChannel.joinGroup / leaveGroup and the multicast ChannelOptions of both
        // transports (IP_MULTICAST_LOOP_DISABLED, IP_MULTICAST_TTL, IP_MULTICAST_IF). Not
        // declared: nonblock (a Netty channel is always non-blocking, with no switch), recverr
        // and udp.errqueue (no IP_RECVERR nor MSG_ERRQUEUE in Netty): README.md
        if (knows("multicast_ttl", "datagram")) {
            f.add("multicast");
            f.add("opt.multicast_loop");
            f.add("opt.multicast_ttl");
            f.add("opt.multicast_if");
        }
        // 1.5 options: the TCP ones on connections (EpollChannelOption on epoll,
        // NioChannelOption.of(ExtendedSocketOptions) on NIO), IP_TOS on connections
        for (String name : new String[] {"keepidle", "keepintvl", "keepcnt", "user_timeout", "cork", "tos", "quickack"})
            if (knows(name, "socket")) f.add("opt." + name);
        features = f;
        return f;
    }

    JsonObject hello(Args args) {
        JsonObject o = new JsonObject();
        o.addProperty("protocol", PROTOCOL_VERSION);
        o.addProperty("implementation", net.epoll ? "netty-epoll" : "netty-nio");
        Map<String, Version> versions = Version.identify();
        Version v = versions.get("netty-transport");
        o.addProperty("version", (v == null ? "4.2" : v.artifactVersion()) + " (" + net.name + " transport, Java "
            + System.getProperty("java.runtime.version") + ")");
        o.addProperty("language", "java");
        JsonArray list = new JsonArray();
        for (String s : features()) list.add(s);
        o.add("features", list);
        return o;
    }

    JsonObject reset(Args args) {
        handles.closeAll();
        net.turnAll(); // NIO: the descriptors are closed at the Selector's next select
        return new JsonObject();
    }

    JsonObject close(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        handles.remove(args.integer("handle"));
        handles.close(s);
        net.turnAll(); // NIO: the descriptor is closed at the Selector's next select
        return new JsonObject();
    }
}
