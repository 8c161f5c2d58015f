%% Echo servers (serve.start, serve.stop), written the way OTP's documentation writes a
%% gen_tcp server: a listening socket in passive mode, an acceptor loop, one process per
%% connection (gen_tcp:controlling_process hands the socket over) running a
%% gen_tcp:recv/gen_tcp:send loop until recv answers {error, closed}; and for UDP one
%% process receiving {udp, S, IP, Port, Data} messages and answering with gen_udp:send.
%% None of these processes is linked to the adapter's main process.
-module(ss_serve).
-export([start/1, stop/1, stop_entry/1]).

start(Args) ->
    Kind = case ss_args:get(Args, <<"kind">>, str) of
               <<"tcp">> -> tcp;
               <<"udp">> -> udp;
               <<"unix">> -> tcp;
               <<"unixgram">> -> udp;
               Other -> ss_err:bad(["unknown serve kind ", Other])
           end,
    {Fam, IP, Port} =
        case ss_args:get(Args, <<"kind">>, str) of
            <<"unix", _/binary>> ->
                %% Unix-domain (1.4): the same servers with the local family, bound to address
                case ss_unix:address(ss_args:get(Args, <<"address">>, dict), false) of
                    {local, _} = Named -> {local, Named, 0};
                    unnamed -> ss_err:fail(<<"EINVAL">>, "an echo server needs a name")
                end;
            _ ->
                F = ss_args:family(Args),
                {F, ss_args:ip(ss_args:get(Args, <<"host">>, str), F),
                 ss_args:port(ss_args:get(Args, <<"port">>, int, 0))}
        end,
    Backlog = ss_args:get(Args, <<"backlog">>, int, 1024),
    Self = self(),
    Ref = make_ref(),
    {Pid, Mon} = spawn_monitor(fun() -> server(Self, Ref, Kind, Fam, IP, Port, Backlog) end),
    receive
        {Ref, {ok, Local}} ->
            H = ss_handles:add(#{type => serve, pid => Pid, mon => Mon, kind => Kind}),
            #{<<"handle">> => H, <<"local">> => ss_addr:format(Local)};
        {Ref, {error, Reason}} ->
            erlang:demonitor(Mon, [flush]),
            ss_err:throw_reason(Reason, "serve.start");
        {'DOWN', Mon, process, Pid, Why} ->
            ss_err:supplied(<<"EINVAL">>, io_lib:format("echo server died: ~0p", [Why]))
    after 10000 ->
            exit(Pid, kill),
            ss_err:supplied(<<"ETIMEDOUT">>, "echo server did not start")
    end.

stop(Args) ->
    H = ss_args:handle(Args),
    case ss_handles:lookup(H) of
        #{type := serve} = Entry ->
            erase({handle, H}),
            stop_entry(Entry);
        _ -> ss_err:supplied(<<"EBADF">>, io_lib:format("handle ~p is not an echo server", [H]))
    end.

stop_entry(#{pid := Pid, mon := Mon, kind := Kind}) ->
    Ref = make_ref(),
    Pid ! {stop, self(), Ref},
    receive
        {Ref, Sessions} ->
            erlang:demonitor(Mon, [flush]),
            case Kind of
                tcp -> #{<<"sessions">> => Sessions};
                udp -> #{}
            end;
        {'DOWN', Mon, process, Pid, _} -> #{}
    after 5000 ->
            exit(Pid, kill),
            erlang:demonitor(Mon, [flush]),
            #{}
    end.

server(Parent, Ref, tcp, Fam, IP, Port, Backlog) ->
    process_flag(trap_exit, true),
    case gen_tcp:listen(Port, [binary, Fam, address_opt(Fam, IP), {packet, 0}, {active, false}, {backlog, Backlog}]) of
        {ok, L} ->
            {ok, Local} = inet:sockname(L),
            Self = self(),
            Acceptor = spawn_link(fun() -> acceptor(Self, L) end),
            Parent ! {Ref, {ok, Local}},
            tcp_loop(L, Acceptor, #{}, 0);
        {error, Reason} ->
            Parent ! {Ref, {error, Reason}}
    end;
server(Parent, Ref, udp, Fam, IP, Port, _) ->
    case gen_udp:open(Port, [binary, Fam, address_opt(Fam, IP)]) of
        {ok, S} ->
            {ok, Local} = inet:sockname(S),
            Parent ! {Ref, {ok, Local}},
            udp_loop(S);
        {error, Reason} ->
            Parent ! {Ref, {error, Reason}}
    end.

address_opt(local, Local) -> {ifaddr, Local};
address_opt(_, IP) -> {ip, IP}.

%% The server: counts sessions, and on stop closes the listener and every session.
tcp_loop(L, Acceptor, Sessions, Count) ->
    receive
        {session, Pid} ->
            Mon = erlang:monitor(process, Pid),
            tcp_loop(L, Acceptor, Sessions#{Pid => Mon}, Count + 1);
        {'DOWN', _, process, Pid, _} ->
            tcp_loop(L, Acceptor, maps:remove(Pid, Sessions), Count);
        {stop, From, Ref} ->
            unlink(Acceptor),
            exit(Acceptor, kill),
            gen_tcp:close(L),
            [exit(Pid, kill) || Pid <- maps:keys(Sessions)],
            [receive {'DOWN', Mon, process, _, _} -> ok after 1000 -> ok end
             || Mon <- maps:values(Sessions)],
            From ! {Ref, Count};
        {'EXIT', Acceptor, _} ->
            tcp_loop(L, none, Sessions, Count);
        _ ->
            tcp_loop(L, Acceptor, Sessions, Count)
    end.

acceptor(Server, L) ->
    case gen_tcp:accept(L) of
        {ok, S} ->
            Pid = spawn(fun() -> receive {go, S} -> echo(S) end end),
            case gen_tcp:controlling_process(S, Pid) of
                ok ->
                    Server ! {session, Pid},
                    Pid ! {go, S};
                {error, _} ->
                    exit(Pid, kill),
                    gen_tcp:close(S)
            end,
            acceptor(Server, L);
        {error, closed} ->
            ok;
        {error, _} ->
            %% e.g. emfile: back off, as the server of a long-running system would
            timer:sleep(10),
            acceptor(Server, L)
    end.

echo(S) ->
    case gen_tcp:recv(S, 0) of
        {ok, Data} ->
            case gen_tcp:send(S, Data) of
                ok -> echo(S);
                {error, _} -> gen_tcp:close(S)
            end;
        {error, closed} ->
            gen_tcp:close(S);
        {error, _} ->
            gen_tcp:close(S)
    end.

udp_loop(S) ->
    receive
        {udp, S, {unspec, _}, _, _} ->
            udp_loop(S);  % an unbound Unix sender: no address to answer
        {udp, S, {local, <<>>}, _, _} ->
            udp_loop(S);
        {udp, S, IP, Port, Data} ->
            _ = gen_udp:send(S, IP, Port, Data),
            udp_loop(S);
        {stop, From, Ref} ->
            gen_udp:close(S),
            From ! {Ref, 0};
        _ ->
            udp_loop(S)
    end.
