%% sockspec adapter for Erlang/OTP: the protocol loop (docs/protocol.md).
%%
%% One request a line on stdin, one answer a line on stdout. The main process owns every
%% socket the requests make (gen_tcp/gen_udp ports are linked to their controlling process),
%% so socket messages of active sockets ({tcp, S, Data}, {udp, S, IP, Port, Data}, ...)
%% arrive in this process's mailbox and are taken from there by stream.recv/udp.recvfrom.
%% Echo servers (serve.*) run in processes of their own (ss_serve), not linked to this one.
-module(ss_main).
-export([main/1]).

main(_) ->
    process_flag(trap_exit, true),  % a port that dies with a reason must not take us along
    ok = io:setopts(standard_io, [binary, {encoding, latin1}]),
    put(next_handle, 1),
    loop().

loop() ->
    case io:get_line(standard_io, "") of
        eof ->
            ss_handles:close_all(),
            erlang:halt(0);
        {error, _} ->
            ss_handles:close_all(),
            erlang:halt(0);
        Line ->
            case string:trim(Line) of
                <<>> -> ok;
                Text ->
                    settle(),
                    Response = handle(Text),
                    ok = io:put_chars(standard_io, [jiffy:encode(Response, [force_utf8]), $\n])
            end,
            flush_exits(),
            loop()
    end.

%% Let the runtime deliver what already reached the process's sockets before acting on a
%% request (docs/adapters.md §4): the driver reads a socket when its poll thread reports it
%% and sends the message (or closes the socket, exit_on_close) in a port task of its own.
%% One millisecond idle lets the schedulers run those tasks, so a request acts after
%% everything that reached the process before it, instead of racing it.
settle() ->
    receive after 1 -> ok end.

flush_exits() ->
    receive {'EXIT', _, _} -> flush_exits() after 0 -> ok end.

handle(Text) ->
    case catch jiffy:decode(Text, [return_maps]) of
        Request when is_map(Request) ->
            Id = maps:get(<<"id">>, Request, null),
            try dispatch(Request) of
                Result -> #{<<"id">> => Id, <<"ok">> => true, <<"result">> => Result}
            catch
                throw:{op_error, Code, Message, Supplied} ->
                    error_response(Id, Code, Message, Supplied);
                Class:Reason:Stack ->
                    io:format(standard_error, "erlang adapter: ~p:~p~n~p~n", [Class, Reason, Stack]),
                    error_response(Id, <<"EINVAL">>,
                                   iolist_to_binary(io_lib:format("adapter caught ~p:~0p", [Class, Reason])), true)
            end;
        _ ->
            error_response(null, <<"BADREQUEST">>, <<"a request is a JSON object">>, false)
    end.

error_response(Id, Code, Message, Supplied) ->
    Error0 = #{<<"code">> => Code, <<"message">> => Message},
    Error = case Supplied of true -> Error0#{<<"supplied">> => true}; false -> Error0 end,
    #{<<"id">> => Id, <<"ok">> => false, <<"error">> => Error}.

dispatch(#{<<"op">> := Op} = Request) when is_binary(Op) ->
    Args = case maps:get(<<"args">>, Request, null) of
               null -> #{};
               A when is_map(A) -> A;
               _ -> ss_err:bad("args must be an object")
           end,
    op(Op, Args);
dispatch(_) ->
    ss_err:bad("a request is an object with a string 'op'").

op(<<"hello">>, _) -> ss_hello:hello();
op(<<"reset">>, _) -> ss_handles:close_all(), #{};
op(<<"close">>, A) -> ss_handles:close(A);
op(<<"tcp.listen">>, A) -> ss_tcp:listen(A);
op(<<"tcp.connect">>, A) -> ss_tcp:connect(A);
op(<<"tcp.accept">>, A) -> ss_tcp:accept(A);
op(<<"stream.send">>, A) -> ss_tcp:send(A);
op(<<"stream.recv">>, A) -> ss_tcp:recv(A);
op(<<"stream.shutdown">>, A) -> ss_tcp:shutdown(A);
op(<<"stream.abort">>, A) -> ss_tcp:abort(A);
op(<<"udp.bind">>, A) -> ss_udp:bind(A);
op(<<"udp.connect">>, A) -> ss_udp:connect(A);
op(<<"udp.sendto">>, A) -> ss_udp:sendto(A);
op(<<"udp.recvfrom">>, A) -> ss_udp:recvfrom(A);
op(<<"udp.join">>, A) -> ss_mcast:join(A);
op(<<"udp.leave">>, A) -> ss_mcast:leave(A);
op(<<"addr.local">>, A) -> ss_addr:local(A);
op(<<"addr.peer">>, A) -> ss_addr:peer(A);
op(<<"opt.set">>, A) -> ss_opts:set(A);
op(<<"opt.get">>, A) -> ss_opts:get(A);
op(<<"serve.start">>, A) -> ss_serve:start(A);
op(<<"serve.stop">>, A) -> ss_serve:stop(A);
op(<<"unix.listen">>, A) -> ss_unix:listen(A);
op(<<"unix.accept">>, A) -> ss_unix:accept(A);
op(<<"unix.connect">>, A) -> ss_unix:connect(A);
op(<<"unix.bind">>, A) -> ss_unix:bind(A);
op(<<"unix.sendto">>, A) -> ss_unix:sendto(A);
op(<<"unix.recvfrom">>, A) -> ss_unix:recvfrom(A);
op(<<"unix.unlink">>, A) -> ss_unix:unlink(A);
op(Op, _) -> ss_err:unsupported(["unknown operation ", Op]).
