%% The handle table: integers handed out once (never reused) -> sockets and echo servers,
%% kept in the main process's dictionary. An entry is a map:
%%   #{type => stream | listener | dgram | serve, sock => Port, fam => inet | inet6 | local,
%%     buf => Bytes (stream: received by the library, not yet asked for), eof => Bool}
%% (serve entries have pid instead of sock).
-module(ss_handles).
-export([add/1, lookup/1, socket/1, update/2, close/1, close_all/0, flush/1]).

add(Entry) ->
    H = get(next_handle),
    put(next_handle, H + 1),
    put({handle, H}, maps:merge(#{buf => <<>>, eof => false}, Entry)),
    H.

lookup(H) ->
    case get({handle, H}) of
        undefined -> ss_err:fail(<<"EBADF">>, io_lib:format("no open handle ~p", [H]));
        Entry -> Entry
    end.

%% The socket entry of the request's handle (an echo server is not a socket).
socket(Args) ->
    H = ss_args:handle(Args),
    case lookup(H) of
        #{type := serve} -> ss_err:supplied(<<"ENOTSOCK">>, io_lib:format("handle ~p is an echo server", [H]));
        Entry -> {H, Entry}
    end.

update(H, Entry) -> put({handle, H}, Entry).

close(Args) ->
    H = ss_args:handle(Args),
    Entry = lookup(H),
    erase({handle, H}),
    close_entry(Entry, false),
    #{}.

close_all() ->
    Handles = lists:sort([H || {{handle, H}, _} <- get()]),
    [begin Entry = get({handle, H}), erase({handle, H}), close_entry(Entry, true) end || H <- Handles],
    flush_all(),
    ok.

close_entry(#{type := serve} = Entry, _) ->
    ss_serve:stop_entry(Entry);
close_entry(#{sock := S} = Entry, Reset) ->
    %% reset: an orderly close without waiting, whatever linger a test set (protocol §5);
    %% inet:close waits for the send queue up to the linger time when linger is on.
    Reset andalso maps:get(type, Entry) =:= stream andalso inet:setopts(S, [{linger, {false, 0}}]),
    case maps:get(type, Entry) of
        dgram -> gen_udp:close(S);
        _ -> gen_tcp:close(S)
    end,
    flush(S).

%% Forget the messages an active socket left in the mailbox.
flush(S) ->
    receive
        {tcp, S, _} -> flush(S);
        {tcp_closed, S} -> flush(S);
        {tcp_error, S, _} -> flush(S);
        {tcp_passive, S} -> flush(S);
        {udp, S, _, _, _} -> flush(S);
        {udp_error, S, _} -> flush(S);
        {udp_closed, S} -> flush(S);
        {udp_passive, S} -> flush(S);
        {'EXIT', S, _} -> flush(S)
    after 0 -> ok
    end.

%% After reset no socket is open: every socket message left is stale.
flush_all() ->
    receive
        {tcp, _, _} -> flush_all();
        {tcp_closed, _} -> flush_all();
        {tcp_error, _, _} -> flush_all();
        {udp, _, _, _, _} -> flush_all();
        {udp_error, _, _} -> flush_all();
        {'EXIT', _, _} -> flush_all()
    after 0 -> ok
    end.
