%% TCP with gen_tcp: tcp.listen, tcp.connect, tcp.accept, stream.*.
%%
%% Connections keep gen_tcp's default {active, true}: the library reads whatever arrives and
%% sends it to the owner (this process) as {tcp, S, Data}; the peer's end of stream is
%% {tcp_closed, S}, after which inet has closed the socket (exit_on_close, default true).
%% stream.recv takes those messages (and keeps what is beyond max for the next recv).
%% Only timeout 0 needs a passive read: see recv_now/1.
-module(ss_tcp).
-export([listen/1, connect/1, accept/1, send/1, recv/1, shutdown/1, abort/1]).
-export([stream_send/3, stream_recv/4, accept_handle/3, add_stream/2]).

listen(Args) ->
    Fam = ss_args:family(Args),
    IP = ss_args:ip(ss_args:get(Args, <<"host">>, str), Fam),
    Port = ss_args:port(ss_args:get(Args, <<"port">>, int, 0)),
    Backlog = ss_args:get(Args, <<"backlog">>, int, 128),
    Opts = ss_opts:creation(ss_args:options(Args), Fam),
    case gen_tcp:listen(Port, [binary, Fam, {ip, IP}, {backlog, Backlog} | Opts]) of
        {ok, L} ->
            H = ss_handles:add(#{type => listener, sock => L, fam => Fam}),
            #{<<"handle">> => H, <<"local">> => ss_addr:sockname(L)};
        {error, Reason} -> ss_err:throw_reason(Reason, "gen_tcp:listen")
    end.

connect(Args) ->
    Fam = ss_args:family(Args),
    IP = ss_args:ip(ss_args:get(Args, <<"host">>, str), Fam),
    Port = ss_args:port(ss_args:get(Args, <<"port">>, int)),
    Bind = case ss_args:get(Args, <<"bind">>, dict, none) of
               none -> [];
               B -> [{ip, ss_args:ip(ss_args:get(B, <<"host">>, str), Fam)},
                     {port, ss_args:port(ss_args:get(B, <<"port">>, int, 0))}]
           end,
    T = ss_args:timeout(Args),
    Opts = ss_opts:creation(ss_args:options(Args), Fam),
    case connect_call(IP, Port, [binary, Fam | Bind ++ Opts], T) of
        {ok, S} -> add_stream(S, Fam);
        {error, timeout} when T =:= 0 ->
            ss_err:supplied(<<"EINPROGRESS">>, "gen_tcp:connect: timeout 0 (inet gave up and closed the socket)");
        {error, Reason} -> ss_err:throw_reason(Reason, "gen_tcp:connect")
    end.

%% gen_tcp:connect raises badarg for an option it does not take: ipv6_v6only is not among
%% inet:connect_options() in OTP 25 (gen_tcp:listen and gen_udp:open take it).
connect_call(IP, Port, Opts, T) ->
    try gen_tcp:connect(IP, Port, Opts, T)
    catch
        exit:badarg ->
            ss_err:supplied(<<"EINVAL">>, io_lib:format("gen_tcp:connect raised badarg for options ~0p", [Opts]));
        error:badarg ->
            ss_err:supplied(<<"EINVAL">>, io_lib:format("gen_tcp:connect raised badarg for options ~0p", [Opts]))
    end.

add_stream(S, Fam) ->
    %% the addresses first: a socket inet gave out but cannot name is closed, not handed out
    try {ss_addr:sockname(S), ss_addr:peername(S)} of
        {Local, Peer} ->
            H = ss_handles:add(#{type => stream, sock => S, fam => Fam}),
            #{<<"handle">> => H, <<"local">> => Local, <<"peer">> => Peer}
    catch
        throw:Error ->
            gen_tcp:close(S),
            ss_handles:flush(S),
            throw(Error)
    end.

accept(Args) ->
    {_, #{sock := L, fam := Fam}} = ss_handles:socket(Args),
    accept_handle(L, Fam, ss_args:timeout(Args)).

accept_handle(L, Fam, T) ->
    case gen_tcp:accept(L, T) of
        {ok, S} -> add_stream(S, Fam);
        {error, timeout} when T =:= 0 ->
            ss_err:supplied(<<"EAGAIN">>, "gen_tcp:accept: timeout 0 (inet's reason: timeout)");
        {error, Reason} -> ss_err:throw_reason(Reason, "gen_tcp:accept")
    end.

send(Args) ->
    {_, #{sock := S}} = ss_handles:socket(Args),
    Data = ss_args:data(Args),
    T = ss_args:timeout(Args),
    stream_send(S, Data, T).

%% gen_tcp:send queues in the port what the kernel does not take at once (the driver's
%% user-space buffer), and answers ok. So: wait (up to the timeout) until the previous
%% sends have drained to the kernel (inet:getstat send_pend), then hand over everything.
stream_send(_, <<>>, _) -> #{<<"sent">> => 0};
stream_send(S, Data, T) ->
    Deadline = erlang:monotonic_time(millisecond) + T,
    drained(S, T, Deadline),
    case gen_tcp:send(S, Data) of
        ok -> #{<<"sent">> => byte_size(Data)};
        {error, Reason} ->
            {Code, Message, Supplied} = ss_err:reason(Reason, "gen_tcp:send", <<"EPIPE">>),
            throw({op_error, Code, Message, Supplied})
    end.

drained(S, T, Deadline) ->
    case inet:getstat(S, [send_pend]) of
        {ok, [{send_pend, 0}]} -> ok;
        {ok, [{send_pend, N}]} ->
            Now = erlang:monotonic_time(millisecond),
            if T =:= 0 ->
                    ss_err:supplied(<<"EAGAIN">>, io_lib:format("gen_tcp: ~p bytes still queued in the port", [N]));
               Now >= Deadline ->
                    ss_err:supplied(<<"ETIMEDOUT">>, io_lib:format("gen_tcp: ~p bytes still queued in the port", [N]));
               true ->
                    timer:sleep(1),
                    drained(S, T, Deadline)
            end;
        _ -> ok  % not a connection (or closed): gen_tcp:send answers for it
    end.

recv(Args) ->
    {H, E} = ss_handles:socket(Args),
    Max = ss_args:max(Args),
    T = ss_args:timeout(Args),
    #{<<"data">> => base64:encode(stream_recv(H, E, Max, T))}.

%% Bytes (empty: end of stream).
stream_recv(H, #{type := stream, buf := Buf} = E, Max, _) when Buf =/= <<>> ->
    give(H, E, Buf, Max);
stream_recv(_, #{type := stream, eof := true}, _, _) ->
    <<>>;
stream_recv(H, #{type := stream, sock := S} = E, Max, T) ->
    Got = case T of
              0 -> recv_now(S);
              _ -> receive_tcp(S, T)
          end,
    case Got of
        {ok, Data} -> give(H, E, Data, Max);
        {error, closed} ->
            ss_handles:update(H, E#{eof := true}),
            <<>>;
        {error, timeout} when T =:= 0 ->
            ss_err:supplied(<<"EAGAIN">>, "nothing received (inet's reason: timeout)");
        {error, Reason} -> ss_err:throw_reason(Reason, "gen_tcp recv")
    end;
stream_recv(_, #{sock := S}, _, T) ->
    %% a listener: gen_tcp:recv answers for it (enotconn)
    case gen_tcp:recv(S, 0, T) of
        {ok, Data} -> Data;
        {error, timeout} when T =:= 0 -> ss_err:supplied(<<"EAGAIN">>, "gen_tcp:recv: timeout");
        {error, Reason} -> ss_err:throw_reason(Reason, "gen_tcp:recv")
    end.

give(H, E, Data0, Max) when byte_size(Data0) < Max ->
    %% what the library has delivered already, up to max: one recv takes the stream's bytes,
    %% not one message of the driver at a time (each driver read is one message)
    Data = more(maps:get(sock, E), Data0, Max),
    take(H, E, Data, Max);
give(H, E, Data, Max) ->
    take(H, E, Data, Max).

more(S, Data, Max) when byte_size(Data) < Max ->
    receive
        {tcp, S, More} -> more(S, <<Data/binary, More/binary>>, Max)
    after 0 -> Data
    end;
more(_, Data, _) -> Data.

take(H, E, Data, Max) when byte_size(Data) =< Max ->
    ss_handles:update(H, E#{buf := <<>>}),
    Data;
take(H, E, Data, Max) ->
    <<Now:Max/binary, Rest/binary>> = Data,
    ss_handles:update(H, E#{buf := Rest}),
    Now.

receive_tcp(S, T) ->
    receive
        {tcp, S, Data} -> {ok, Data};
        {tcp_closed, S} -> {error, closed};
        {tcp_error, S, Reason} -> {error, Reason}
    after T -> {error, timeout}
    end.

%% timeout 0: what the library already delivered, else one passive read that does not wait.
%% The driver may not have read what the kernel already holds yet (it reads when the poller
%% says so, and the message follows); gen_tcp:recv(S, 0, 0) on a passive socket reads at once.
%% So the socket is made passive for that one read, then active again.
recv_now(S) ->
    case receive_tcp(S, 0) of
        {error, timeout} ->
            case inet:setopts(S, [{active, false}]) of
                ok ->
                    R = case receive_tcp(S, 0) of
                            {error, timeout} -> gen_tcp:recv(S, 0, 0);
                            Got -> Got
                        end,
                    _ = inet:setopts(S, [{active, true}]),
                    R;
                {error, _} = Error ->
                    case receive_tcp(S, 0) of
                        {error, timeout} -> Error;
                        Got -> Got
                    end
            end;
        Got -> Got
    end.

shutdown(Args) ->
    {_, #{sock := S}} = ss_handles:socket(Args),
    How = case ss_args:get(Args, <<"how">>, str) of
              <<"read">> -> read;
              <<"write">> -> write;
              <<"both">> -> read_write;
              Other -> ss_err:bad(["unknown shutdown direction ", Other])
          end,
    case gen_tcp:shutdown(S, How) of
        ok -> #{};
        {error, Reason} -> ss_err:throw_reason(Reason, "gen_tcp:shutdown")
    end.

abort(Args) ->
    {H, #{sock := S}} = ss_handles:socket(Args),
    case inet:setopts(S, [{linger, {true, 0}}]) of
        ok ->
            erase({handle, H}),
            gen_tcp:close(S),
            ss_handles:flush(S),
            #{};
        {error, Reason} -> ss_err:throw_reason(Reason, "inet:setopts linger {true, 0}")
    end.
