package sockspec;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/** hello (protocol version and the features this JDK can do), reset and close. */
final class Session {
    static final String PROTOCOL_VERSION = "1.8";

    private final Handles handles;
    private List<String> features;

    Session(Handles handles) {
        this.handles = handles;
    }

    /** Probed once: SO_REUSEPORT is listed only where the JDK supports it, ipv6 needs ::1. */
    List<String> features() {
        if (features != null) return features;
        List<String> f = new ArrayList<>(List.of(
            "tcp", "udp", "udp.connect", "ipv4", "tcp.socket", "tcp.bind-connect",
            "stream.shutdown", "stream.shutdown.write", "stream.shutdown.read", "stream.abort",
            "nonblocking", "serve.tcp", "serve.udp", "opt.reuseaddr", "opt.nodelay", "opt.keepalive", "opt.linger",
            "opt.rcvbuf", "opt.sndbuf", "opt.broadcast",
            // 1.5: Selector readiness, a non-blocking connect finished with finishConnect,
            // connect on an existing SocketChannel, DatagramChannel.disconnect, and the one
            // flag a non-blocking channel has (dontwait: one attempt); README.md says why not the rest
            "wait", "tcp.pending", "tcp.connect-handle", "udp.disconnect", "flag.dontwait"));
        // jdk.net.ExtendedSocketOptions TCP_KEEPIDLE/KEEPINTERVAL/KEEPCOUNT (JDK 11+, Linux and
        // macOS) and StandardSocketOptions.IP_TOS: listed where this JDK's SocketChannel takes them
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.INET)) {
            for (String name : new String[] {"keepidle", "keepintvl", "keepcnt", "tos", "quickack"}) {
                if (probe.supportedOptions().contains(Options.OPTIONS.get(name))) f.add("opt." + name);
            }
        } catch (IOException | RuntimeException e) {
            // none of them then
        }
        // Unix-domain stream channels (JDK 16+, UnixOps); nothing else of protocol 1.4's Unix
        // features exists in java.nio (UnixOps says why)
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            f.add("unix.stream");
            f.add("serve.unix"); // ServeTcp on a Unix-domain ServerSocketChannel (no unixgram: no channel for it)
        } catch (IOException | RuntimeException e) {
            // no AF_UNIX here
        }
        try (DatagramChannel probe = DatagramChannel.open(StandardProtocolFamily.INET)) {
            if (probe.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) f.add("opt.reuseport");
            // 1.7: DatagramChannel is a MulticastChannel (join / MembershipKey.drop) with
            // IP_MULTICAST_LOOP, IP_MULTICAST_TTL and IP_MULTICAST_IF; the blocking mode of
            // every channel (configureBlocking / isBlocking) is option nonblock. No error
            // queue: java.nio has no IP_RECVERR nor MSG_ERRQUEUE (README.md).
            if (probe.supportedOptions().containsAll(List.of(StandardSocketOptions.IP_MULTICAST_LOOP,
                    StandardSocketOptions.IP_MULTICAST_TTL, StandardSocketOptions.IP_MULTICAST_IF))) {
                f.addAll(List.of("multicast", "opt.multicast_loop", "opt.multicast_ttl", "opt.multicast_if"));
            }
            f.add("opt.nonblock");
        } catch (IOException | RuntimeException e) {
            // no SO_REUSEPORT then
        }
        try (DatagramChannel probe = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            probe.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            f.add(3, "ipv6");
        } catch (IOException | RuntimeException e) {
            // no usable IPv6 loopback
        }
        features = f;
        return f;
    }

    JsonObject hello(Args args) {
        JsonObject o = new JsonObject();
        o.addProperty("protocol", PROTOCOL_VERSION);
        o.addProperty("implementation", "java-nio");
        o.addProperty("version", System.getProperty("java.runtime.version") + " ("
            + System.getProperty("java.vm.vendor") + ", java.nio.channels)");
        o.addProperty("language", "java");
        JsonArray list = new JsonArray();
        for (String f : features()) list.add(f);
        o.add("features", list);
        return o;
    }

    JsonObject reset(Args args) {
        handles.closeAll();
        return new JsonObject();
    }

    JsonObject close(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        handles.remove(args.integer("handle"));
        Handles.close(s); // a server is stopped like serve.stop
        return new JsonObject();
    }
}
