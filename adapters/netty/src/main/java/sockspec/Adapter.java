/*
 * sockspec Netty adapter: the wire protocol v1.8 (docs/protocol.md) over Netty 4.2, with the
 * NIO transport (--transport nio, the default) or the native epoll transport
 * (--transport epoll).
 *
 * Reads one JSON request per line on stdin on the main thread, performs it with Netty's
 * bootstraps, channels and futures, and writes one JSON response per line on stdout. The
 * channels live on one event loop (Net.group); what they read waits in each channel's
 * Inbound handler for stream.recv / udp.recvfrom / tcp.accept. Before each request the
 * adapter lets the event loop take one turn (Net.turn), so the request acts after the I/O
 * that reached the process before it.
 *
 * Errors: the epoll transport's Errors.NativeIoException carries the errno (expectedErr());
 * everything else (java.nio's exceptions under NIO, Netty's own ClosedChannelException...)
 * is mapped by type and strerror text and answered "supplied" (Errnos).
 *
 * This class is the protocol loop and the dispatch table; the operations live in Session,
 * StreamOps, DatagramOps, UnixOps, Addresses and Options; the echo servers in ServeOps.
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
    final Net net;
    final Handles handles = new Handles();
    final Session session;
    final StreamOps stream;
    final DatagramOps datagram;
    final ServeOps serve;
    final UnixOps unix;

    Adapter(Net net) {
        this.net = net;
        Options.init(net.epoll);
        session = new Session(handles, net);
        stream = new StreamOps(handles, net);
        datagram = new DatagramOps(handles, net);
        serve = new ServeOps(handles, net);
        unix = new UnixOps(handles, net, stream);
        serve.unix = unix;
    }

    JsonObject dispatch(String op, Args args) throws OpError {
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
            case "opt.set": return Options.opSet(handles, args);
            case "opt.get": return Options.opGet(handles, args);
            case "serve.start": return serve.start(args);
            case "serve.stop": return serve.stop(args);
            case "unix.listen": return unix.listen(args);
            case "unix.accept": return stream.accept(args);
            case "unix.connect": return unix.connect(args);
            case "unix.bind": return unix.bind(args);
            case "unix.sendto": return unix.sendto(args);
            case "unix.recvfrom": return unix.recvfrom(args);
            case "unix.peercred": return unix.peercred(args);
            case "unix.unlink": return unix.unlink(args);
            case "unix.socketpair": return unix.socketpair(args);
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
            // one turn of the event loop first: the request acts after the I/O that reached
            // the process before it (docs/adapters.md §4)
            net.turn();
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
        String transport = "nio";
        for (int i = 0; i + 1 < argv.length; i++) if (argv[i].equals("--transport")) transport = argv[i + 1];
        if (!transport.equals("nio") && !transport.equals("epoll")) {
            System.err.println("usage: --transport nio|epoll");
            System.exit(2);
        }
        Adapter adapter = new Adapter(new Net(transport));
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
        adapter.net.shutdown();
        out.flush();
        System.exit(0);
    }
}
