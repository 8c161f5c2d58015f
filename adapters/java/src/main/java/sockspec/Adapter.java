/*
 * sockspec Java adapter: the wire protocol v1.8 (docs/protocol.md) over java.nio.channels.
 *
 * Reads one JSON request per line on stdin, performs it with ServerSocketChannel,
 * SocketChannel or DatagramChannel, and writes one JSON response per line on stdout.
 * Every operation runs on a non-blocking channel (Blocking: between requests a channel is in
 * the mode its program chose, java.nio's default blocking unless option nonblock was set, and
 * it is switched for the operation); an operation is attempted first and waits on a Selector
 * (opened for that wait only, so that no channel stays registered) against a monotonic
 * deadline only if it would block (Waits).
 *
 * Errors: java.nio does not expose errno. Exceptions are mapped to errno names by type
 * and by the strerror text the JDK puts in their message (Errnos); anything unknown is
 * EIO with the exception in the message. README.md lists the table.
 *
 * This class is the protocol loop and the dispatch table; the operations live in
 * Session, StreamOps, DatagramOps, UnixOps (Unix-domain sockets), Addresses and Options; the
 * echo servers of serve.* in ServeOps, ServeTcp and ServeUdp.
 */
package sockspec;

import static sockspec.OpError.bad;
import static sockspec.OpError.unsupported;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

public final class Adapter {
    final Handles handles = new Handles();
    final Session session = new Session(handles);
    final StreamOps stream = new StreamOps(handles);
    final DatagramOps datagram = new DatagramOps(handles);
    final ServeOps serve = new ServeOps(handles);
    final UnixOps unix = new UnixOps(handles);

    /**
     * Every operation on a handle but opt.set, opt.get and close runs with its channel
     * non-blocking (Blocking.around): channels are kept between requests in the mode their
     * program chose (java.nio's default, blocking, unless "nonblock" was set).
     */
    JsonObject dispatch(String op, Args args) throws OpError {
        if (!op.equals("opt.set") && !op.equals("opt.get") && !op.equals("close") && args.has("handle")) {
            Handles.Sock s;
            try {
                s = handles.get(args);
            } catch (OpError e) {
                s = null; // the operation itself answers a bad handle
            }
            if (s != null && s.server == null) return Blocking.around(s.channel, () -> perform(op, args));
        }
        return perform(op, args);
    }

    JsonObject perform(String op, Args args) throws OpError {
        switch (op) {
            case "hello": return session.hello(args);
            case "reset": return session.reset(args);
            case "close": return session.close(args);
            case "tcp.listen": return stream.listen(args);
            case "tcp.socket": return stream.socket(args);
            case "tcp.connect": return stream.connect(args);
            case "tcp.accept": return stream.accept(args);
            case "stream.send": return stream.send(args);
            case "stream.recv": return stream.recv(args);
            case "stream.shutdown": return stream.shutdown(args);
            case "stream.abort": return stream.abort(args);
            case "udp.bind": return datagram.bind(args);
            case "udp.connect": return datagram.connect(args);
            case "udp.disconnect": return datagram.disconnect(args);
            case "udp.sendto": return datagram.sendto(args);
            case "udp.recvfrom": return datagram.recvfrom(args);
            case "udp.join": return Multicast.join(handles, args);
            case "udp.leave": return Multicast.leave(handles, args);
            case "addr.local": return Addresses.opLocal(handles, args);
            case "addr.peer": return Addresses.opPeer(handles, args);
            case "wait": return Waits.opWait(handles, args);
            case "opt.set": return Options.opSet(handles, args);
            case "opt.get": return Options.opGet(handles, args);
            case "serve.start": return serve.start(args);
            case "serve.stop": return serve.stop(args);
            case "unix.listen": return unix.listen(args);
            case "unix.accept": return unix.accept(stream, args);
            case "unix.connect": return unix.connect(args);
            case "unix.unlink": return unix.unlink(args);
            case "unix.bind":
            case "unix.socketpair":
            case "unix.sendto":
            case "unix.recvfrom":
            case "unix.peercred": return unix.unsupportedOp(op, args);
            default: throw unsupported("unknown operation '" + op + "'");
        }
    }

    /** One request line in, one response line out (without the newline). */
    String handleLine(String line) {
        JsonElement id = JsonNull.INSTANCE;
        JsonObject response = new JsonObject();
        try {
            JsonElement parsed;
            try {
                parsed = JsonParser.parseString(line);
            } catch (RuntimeException e) {
                throw bad("not a JSON message: " + e.getMessage());
            }
            if (!parsed.isJsonObject()) throw bad("a request is an object with a string 'op'");
            JsonObject request = parsed.getAsJsonObject();
            if (request.has("id")) id = request.get("id");
            JsonElement op = request.get("op");
            if (op == null || !op.isJsonPrimitive() || !op.getAsJsonPrimitive().isString())
                throw bad("a request is an object with a string 'op'");
            JsonObject result = dispatch(op.getAsString(), new Args(request.get("args")));
            response.add("id", id);
            response.addProperty("ok", true);
            response.add("result", result);
        } catch (OpError e) {
            response = failure(id, e.code, e.getMessage(), e.supplied);
        } catch (RuntimeException e) {
            // a slip of this adapter: say so rather than die
            response = failure(id, "EIO", "adapter: " + e, true);
            e.printStackTrace(System.err);
        }
        return response.toString();
    }

    static JsonObject failure(JsonElement id, String code, String message, boolean supplied) {
        JsonObject r = new JsonObject();
        r.add("id", id);
        r.addProperty("ok", false);
        JsonObject error = new JsonObject();
        error.addProperty("code", code);
        error.addProperty("message", message == null ? code : message);
        if (supplied) error.addProperty("supplied", true);
        r.add("error", error);
        return r;
    }

    public static void main(String[] argv) throws IOException {
        // The JVM already ignores SIGPIPE: a write to a reset connection is an IOException (EPIPE).
        Adapter adapter = new Adapter();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            byte[] bytes = (adapter.handleLine(line) + "\n").getBytes(StandardCharsets.UTF_8);
            out.write(bytes); // one write per response: unbuffered, so nothing waits for a flush
            out.flush();
        }
        adapter.handles.closeAll();
        out.flush();
        System.exit(0);
    }
}
