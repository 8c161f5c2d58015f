package sockspec;

import static sockspec.Addresses.address;
import static sockspec.Addresses.socketAddress;
import static sockspec.Errnos.errorOf;
import static sockspec.OpError.bad;
import static sockspec.OpError.unsupported;

import com.google.gson.JsonObject;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.NetworkChannel;

/**
 * serve.start / serve.stop (protocol 1.2): echo servers in java.nio's own server model, each
 * on a thread of its own with its own Selector (ServeTcp, ServeUdp), while the request loop
 * goes on. A server's handle is in the same table as the channels; close and reset stop it.
 * kind "unix" (1.4) is ServeTcp on a Unix-domain ServerSocketChannel; java.nio has no Unix
 * datagram channel, so "unixgram" is not offered (serve.unixgram undeclared: UNSUPPORTED).
 */
final class ServeOps {
    static final long DEFAULT_BACKLOG = 1024;

    /** A running echo server. */
    interface Server {
        /** Its listening ServerSocketChannel or DatagramChannel (addr.local, opt.get). */
        NetworkChannel channel();

        /** Stops accepting, closes every channel, joins the thread; the sessions accepted, or -1. */
        long stop();
    }

    private final Handles handles;

    ServeOps(Handles handles) {
        this.handles = handles;
    }

    JsonObject start(Args args) throws OpError {
        String kind = args.string("kind");
        StandardProtocolFamily family;
        SocketAddress address;
        switch (kind) {
            case "unix":
                family = StandardProtocolFamily.UNIX;
                address = UnixOps.address(args.object("address"), "address", true); // a name: never unnamed
                break;
            case "unixgram":
                args.object("address");
                throw unsupported("java.nio has no Unix datagram channel (DatagramChannel.open(UNIX) is "
                    + "refused): serve.unixgram not declared");
            case "tcp":
            case "udp":
                family = args.family();
                address = socketAddress(family, args.string("host"), args.integer("port", 0));
                break;
            default:
                throw bad("unknown serve kind '" + kind + "'");
        }
        long backlog = args.integer("backlog", DEFAULT_BACKLOG);
        Server server;
        try {
            switch (kind) {
                case "tcp":
                case "unix":
                    server = ServeTcp.start(family, address,
                        (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, backlog)));
                    break;
                case "udp":
                    server = ServeUdp.start(family, (InetSocketAddress) address);
                    break;
                default:
                    throw bad("unknown serve kind '" + kind + "'");
            }
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "serve.start " + kind);
        }
        JsonObject o = new JsonObject();
        try {
            o.add("local", address(server.channel().getLocalAddress()));
        } catch (IOException | RuntimeException e) {
            server.stop();
            throw errorOf(e, "getLocalAddress");
        }
        o.addProperty("handle", handles.register(server, family));
        return o;
    }

    JsonObject stop(Args args) throws OpError {
        long handle = args.integer("handle");
        Handles.Sock s = handles.get(args);
        if (s.server == null) throw OpError.supplied("EBADF", "handle " + handle + " is not a server");
        handles.remove(handle);
        long sessions = s.server.stop();
        JsonObject o = new JsonObject();
        if (sessions >= 0) o.addProperty("sessions", sessions);
        return o;
    }
}
