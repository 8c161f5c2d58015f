package sockspec;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.nio.channels.NetworkChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The open sockets by handle number. */
final class Handles {
    /**
     * One open socket: its channel and the family it was opened with; for an echo server
     * (serve.start) also the server, whose listening channel is {@code channel}.
     */
    static final class Sock {
        final NetworkChannel channel;
        final StandardProtocolFamily family;
        final ServeOps.Server server;
        /** udp.join's MembershipKeys by group and interface index (Multicast), for udp.leave. */
        final Map<String, java.nio.channels.MembershipKey> memberships = new java.util.HashMap<>();

        Sock(NetworkChannel channel, StandardProtocolFamily family, ServeOps.Server server) {
            this.channel = channel;
            this.family = family;
            this.server = server;
        }
    }

    private final Map<Long, Sock> table = new LinkedHashMap<>();
    private long nextHandle = 1; // never reused (docs/protocol.md §2.1)

    long register(NetworkChannel channel, StandardProtocolFamily family) {
        Blocking.programDefault(channel); // 1.7 nonblock: java.nio's mode for a new or accepted channel
        long handle = nextHandle++;
        table.put(handle, new Sock(channel, family, null));
        return handle;
    }

    long register(ServeOps.Server server, StandardProtocolFamily family) {
        long handle = nextHandle++;
        table.put(handle, new Sock(server.channel(), family, server));
        return handle;
    }

    /** The socket named by the request's "handle"; EBADF if unknown or closed. */
    Sock get(Args args) throws OpError {
        long handle = args.integer("handle");
        Sock s = table.get(handle);
        if (s == null) throw new OpError("EBADF", "no open handle " + handle);
        return s;
    }

    void remove(long handle) {
        table.remove(handle);
    }

    /**
     * reset: an orderly close that never waits (protocol §5). A linger set on a connection
     * would make close(2) wait for unsent data (or, at zero seconds, send RST), so SO_LINGER
     * is switched off first (-1: java.net's "disabled").
     */
    void closeAll() {
        List<Sock> all = new ArrayList<>(table.values());
        table.clear();
        for (Sock s : all) {
            if (s.server == null && s.channel instanceof SocketChannel) {
                try {
                    s.channel.setOption(StandardSocketOptions.SO_LINGER, -1);
                } catch (IOException | RuntimeException ignored) {
                    // closed already, or never connected: close as it is
                }
            }
            close(s);
        }
    }

    /** Closes a socket, or stops a server (which closes its channels). */
    static void close(Sock s) {
        if (s.server != null) s.server.stop();
        else closeQuietly(s.channel);
    }

    static void closeQuietly(NetworkChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to report: the handle is gone either way
        }
    }
}
