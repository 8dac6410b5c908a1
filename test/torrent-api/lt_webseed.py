"""Download torrents from the server alone, with libtorrent (Debian /usr/bin/python3 + python3-libtorrent).

Usage: lt_webseed.py JOBS.json TIMEOUT_SECONDS
  JOBS.json: [{"torrent": "<path>", "save": "<empty dir>"}, ...]  (all added to one session)

No DHT, LSD, UPnP or NAT-PMP, listening on 127.0.0.1 only: the server is the only source of data, through
the torrent's BEP 19 web seed (the object's own URL) and, when the server sends web-seed requests to the
swarm instead (503 SlowDown), its tracker and built-in seeder. SSRF mitigation is off because presigned
web seeds on 127.0.0.1 carry a query string, which libtorrent otherwise refuses for local addresses;
several connections per IP are allowed because every peer here is 127.0.0.1.
Prints one JSON list, one entry per job: finished (libtorrent verified every piece), state, total_done,
and the web seed / hash / file errors seen for that torrent.
"""
import json
import sys
import time

import libtorrent as lt


def main(argv):
    jobs = json.load(open(argv[1]))
    timeout = float(argv[2])
    ses = lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "ssrf_mitigation": False,
        "allow_multiple_connections_per_ip": True,
        # every torrent at once (no auto-manage queueing)
        "active_downloads": -1, "active_seeds": -1, "active_limit": -1, "active_checking": -1,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
    })
    handles = []
    for job in jobs:
        h = ses.add_torrent({"ti": lt.torrent_info(job["torrent"]), "save_path": job["save"]})
        handles.append((job, h, str(h.info_hashes().v1)))
    errors = {}
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(h.status().is_seeding for _, h, _ in handles):
            break
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, (lt.url_seed_alert, lt.hash_failed_alert, lt.torrent_error_alert, lt.file_error_alert)):
                ih = str(a.handle.info_hashes().v1) if a.handle.is_valid() else "?"
                errors.setdefault(ih, []).append(a.message())
    out = []
    for job, h, ih in handles:
        s = h.status()
        out.append({"torrent": job["torrent"], "finished": s.is_seeding, "state": str(s.state),
                    "total_done": s.total_done, "errors": errors.get(ih, [])[:10]})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
