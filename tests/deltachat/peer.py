"""A Delta Chat user for sealpost's interoperability test: the real Delta Chat
core (deltachat-rpc-server), driven line by line from the test.

    python3 peer.py ACCOUNTS_DIR CONFIG_JSON

Reads commands on stdin, answers one JSON line each on stdout:
    export-key DIR         -> {"files": [...]} the account's keys, exported
    reply MSG_ID TEXT      -> {"msg_id": N} in the chat of that message
    wait-incoming          -> {"msg_id", "text", "encrypted", "from"}
    mark-seen MSG_ID       -> {}
    wait-read MSG_ID       -> {"state": 28} once Delta Chat has a read receipt
"""

import json
import sys
import time

from deltachat_rpc_client import DeltaChat, Rpc
from deltachat_rpc_client.const import MessageState

accounts_dir, config = sys.argv[1], json.loads(sys.argv[2])


def answer(value):
    print(json.dumps(value), flush=True)


with Rpc(accounts_dir=accounts_dir) as rpc:
    dc = DeltaChat(rpc)
    account = dc.add_account()
    account.set_config("displayname", config["name"])
    account.set_config("mdns_enabled", "1")
    account.add_or_update_transport(config["transport"])
    account.bring_online()
    answer({"ready": True})
    for line in sys.stdin:
        words = line.split(maxsplit=2)
        if not words:
            continue
        command = words[0]
        if command == "export-key":
            account.export_self_keys(words[1])
            import os
            answer({"files": sorted(os.listdir(words[1]))})
        elif command == "reply":
            chat = account.get_message_by_id(int(words[1])).get_snapshot().chat
            answer({"msg_id": chat.send_text(words[2].rstrip("\n")).id})
        elif command == "wait-incoming":
            message = account.wait_for_incoming_msg()
            snapshot = message.get_snapshot()
            answer({
                "msg_id": message.id,
                "text": snapshot.text,
                "encrypted": snapshot.show_padlock,
                "from": snapshot.sender.get_snapshot().address,
            })
        elif command == "mark-seen":
            # A first message from someone is a contact request; the user
            # accepts it (Delta Chat sends no receipts for requests).
            message = account.get_message_by_id(int(words[1]))
            message.get_snapshot().chat.accept()
            account.mark_seen_messages([message])
            answer({})
        elif command == "wait-read":
            message = account.get_message_by_id(int(words[1]))
            deadline = time.time() + 60
            while message.get_snapshot().state != MessageState.OUT_MDN_RCVD and time.time() < deadline:
                time.sleep(0.5)
            answer({"state": message.get_snapshot().state})
        else:
            answer({"error": f"unknown command {command}"})
