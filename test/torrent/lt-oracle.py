"""libtorrent oracle for the torrent tests (run with Debian's /usr/bin/python3 + python3-libtorrent).

  parse TORRENT            -> how libtorrent reads our .torrent
  create FILE PIECE FORMAT -> the hashes libtorrent itself makes for FILE (FORMAT: v1 | hybrid)
  check TORRENT DIR        -> add TORRENT with its data in DIR to a session (no network) and report
                              whether libtorrent's hash check accepts every piece
Prints one JSON object on stdout.
"""
import json
import os
import sys
import time

import libtorrent as lt


def hexs(b):
    return None if b is None else bytes(b).hex()


def parse(path):
    ti = lt.torrent_info(path)
    ih = ti.info_hashes()
    fs = ti.files()
    return {
        "v1": str(ih.v1) if ih.has_v1() else None,
        "v2": str(ih.v2) if ih.has_v2() else None,
        "name": ti.name(),
        "total_size": ti.total_size(),
        "piece_length": ti.piece_length(),
        "num_pieces": ti.num_pieces(),
        "files": [{"path": fs.file_path(i), "size": fs.file_size(i),
                   "root": hexs(fs.root(i).to_bytes()) if ih.has_v2() else None}
                  for i in range(fs.num_files())],
        "v1_piece_hashes": [hexs(ti.hash_for_piece(i)) for i in range(ti.num_pieces())] if ih.has_v1() else [],
        "private": ti.priv(),
        "web_seeds": [w["url"] for w in ti.web_seeds()],
        "trackers": [t.url for t in ti.trackers()],
    }


def create(path, piece_length, fmt):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    flags = lt.create_torrent.v1_only if fmt == "v1" else 0
    ct = lt.create_torrent(fs, piece_length, flags)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(path)))
    t = ct.generate()
    info = t[b"info"]
    out = {"pieces": hexs(info[b"pieces"]), "piece_length": info[b"piece length"]}
    if fmt == "hybrid":
        (entry,) = info[b"file tree"].values()
        file = entry[b""]
        out["pieces_root"] = hexs(file.get(b"pieces root"))
        layers = t.get(b"piece layers", {})
        out["piece_layer"] = hexs(next(iter(layers.values()))) if layers else None
    return out


def check(path, save_path):
    ses = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
    })
    # with no resume data, libtorrent hashes the files in save_path, then posts torrent_checked_alert
    try:
        h = ses.add_torrent({"ti": lt.torrent_info(path), "save_path": save_path})
    except RuntimeError as e:  # e.g. "a piece layer is invalid"
        return {"load_error": str(e)}
    errors = []
    checked = False
    deadline = time.time() + 60
    while not checked and time.time() < deadline:
        ses.wait_for_alert(500)
        for a in ses.pop_alerts():
            if isinstance(a, lt.torrent_checked_alert):
                checked = True
            elif isinstance(a, (lt.torrent_error_alert, lt.hash_failed_alert, lt.file_error_alert)):
                errors.append(a.message())
    s = h.status()
    return {"checked": checked, "state": str(s.state), "is_seeding": s.is_seeding, "num_pieces": s.num_pieces,
            "total_wanted_done": s.total_wanted_done, "errors": errors}


def main(argv):
    cmd = argv[1]
    if cmd == "parse":
        out = parse(argv[2])
    elif cmd == "create":
        out = create(argv[2], int(argv[3]), argv[4])
    elif cmd == "check":
        out = check(argv[2], argv[3])
    else:
        raise SystemExit("unknown command " + cmd)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
