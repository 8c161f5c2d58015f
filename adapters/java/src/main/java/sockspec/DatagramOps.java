package sockspec;

import static sockspec.Addresses.address;
import static sockspec.Addresses.endpoints;
import static sockspec.Addresses.socketAddress;
import static sockspec.Errnos.errorOf;
import static sockspec.Handles.closeQuietly;
import static sockspec.OpError.bad;
import static sockspec.OpError.unsupported;
import static sockspec.Options.applyOptions;
import static sockspec.Waits.await;
import static sockspec.Waits.deadline;
import static sockspec.Waits.wouldBlock;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.Arrays;
import java.util.Base64;

/** UDP: udp.bind / udp.connect / udp.sendto / udp.recvfrom over DatagramChannel. */
final class DatagramOps {
    static final int MAX_DATAGRAM = 65536; // larger than any UDP payload

    private final Handles handles;

    DatagramOps(Handles handles) {
        this.handles = handles;
    }

    /** The udp.* operations exist only on a DatagramChannel; elsewhere UNSUPPORTED. */
    static DatagramChannel datagram(Handles.Sock s, String op) throws OpError {
        if (s.server != null) throw unsupported(op + ": this handle is an echo server (serve.start), not a channel");
        if (s.channel instanceof DatagramChannel) return (DatagramChannel) s.channel;
        throw unsupported(op + ": java.nio's " + s.channel.getClass().getSuperclass().getSimpleName()
            + " has no such operation");
    }

    JsonObject bind(Args args) throws OpError {
        StandardProtocolFamily family = args.family();
        InetSocketAddress address = socketAddress(family, args.string("host"), args.integer("port", 0));
        JsonObject options = args.object("options");
        DatagramChannel ch;
        try {
            ch = DatagramChannel.open(family);
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "DatagramChannel.open");
        }
        try {
            ch.configureBlocking(false);
            applyOptions(ch, family, options);
            ch.bind(address);
            JsonObject o = new JsonObject();
            o.add("local", address(ch.getLocalAddress()));
            o.addProperty("handle", handles.register(ch, family));
            return o;
        } catch (IOException | RuntimeException | OpError e) {
            closeQuietly(ch);
            throw errorOf(e, "bind");
        }
    }

    JsonObject connect(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        InetSocketAddress remote = socketAddress(s.family, args.string("host"), args.integer("port"));
        DatagramChannel ch = datagram(s, "udp.connect");
        try {
            ch.connect(remote);
            return endpoints(ch, ch.getRemoteAddress());
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "connect");
        }
    }

    /** 1.5 udp.disconnect: DatagramChannel.disconnect() (connect to AF_UNSPEC underneath). */
    JsonObject disconnect(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        DatagramChannel ch = datagram(s, "udp.disconnect");
        try {
            ch.disconnect();
            return new JsonObject();
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "disconnect");
        }
    }

    JsonObject sendto(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        byte[] data = args.data();
        InetSocketAddress target = null;
        if (args.has("host")) target = socketAddress(s.family, args.string("host"), args.integer("port"));
        double timeout = args.timeoutOrDontwait();
        DatagramChannel ch = datagram(s, "udp.sendto");
        ByteBuffer buf = ByteBuffer.wrap(data);
        long deadline = deadline(timeout);
        try {
            while (true) {
                int n = target == null ? ch.write(buf) : ch.send(buf, target);
                // an empty datagram is sent with a count of 0; otherwise 0 means "no room yet"
                if (n > 0 || data.length == 0) {
                    JsonObject o = new JsonObject();
                    o.addProperty("sent", n);
                    return o;
                }
                if (timeout == 0 || !await(ch, SelectionKey.OP_WRITE, deadline)) throw wouldBlock(timeout, "send");
            }
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, target == null ? "write" : "send");
        }
    }

    JsonObject recvfrom(Args args) throws OpError {
        Handles.Sock s = handles.get(args);
        long max = args.integer("max");
        if (max < 1) throw bad("max must be >= 1");
        args.refuseFlags("udp.recvfrom", "peek", "trunc", "blocking");
        double timeout = args.timeoutOrDontwait();
        DatagramChannel ch = datagram(s, "udp.recvfrom");
        // DatagramChannel.receive silently drops what does not fit: receive into one byte
        // more than max to know whether the datagram was longer (truncated), then cut.
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(max + 1, MAX_DATAGRAM));
        long deadline = deadline(timeout);
        try {
            while (true) {
                SocketAddress sender = ch.receive(buf);
                if (sender != null) {
                    int length = buf.position();
                    int kept = (int) Math.min(length, max);
                    JsonObject o = new JsonObject();
                    o.addProperty("data", Base64.getEncoder().encodeToString(Arrays.copyOf(buf.array(), kept)));
                    o.add("peer", address(sender));
                    o.addProperty("truncated", length > max);
                    JsonArray emulated = new JsonArray();
                    emulated.add("truncated"); // the one byte more, above: java.nio cannot tell
                    o.add("emulated", emulated);
                    return o;
                }
                if (timeout == 0 || !await(ch, SelectionKey.OP_READ, deadline)) throw wouldBlock(timeout, "receive");
            }
        } catch (IOException | RuntimeException e) {
            throw errorOf(e, "receive");
        }
    }
}
