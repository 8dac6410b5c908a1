#!/usr/bin/python3
"""
One python3-libtorrent leecher for the swarm tests (Debian's /usr/bin/python3 + python3-libtorrent).
Peers come from the torrent's own trackers (or `peers`), nothing else: DHT, LSD, UPnP, NAT-PMP, PEX and
uTP are off. Loopback only: it listens and connects from `bind` (any 127.x address, or a test host's).

  lt_peer.py '<json config>'

config:
  torrent    path of a .torrent, or
  magnet     a magnet URI (the info dict then comes over ut_metadata, BEP 9)
  save       download directory
  bind       source / listen address (default 127.0.0.1)
  peers      [[ip, port], ...] connected to directly as well (optional)
  timeout    seconds before giving up (default 60)
  watch      seconds: stop after this long even if unfinished (for "gets nothing" checks)
  stop_after_bytes  stop (and report) as soon as this many payload bytes arrived (overwrite tests)
  ssrf       libtorrent's SSRF mitigation (default false: presigned web seeds on 127.0.0.1 carry a query)
  web_request_bytes  largest web-seed request (default libtorrent's 16 MiB; one piece makes it ask per piece)

Prints one JSON line: done, seconds, payload_down, web_down / bt_down (payload by source, from the peer
list), hash_failed (hash_failed_alerts), tracker (replies and errors, with the info-hash version that was
announced), url_seed_errors, has_v2 / info_hash_v1 / info_hash_v2, errors.
"""
import json
import sys
import time

import libtorrent as lt

cfg = json.loads(sys.argv[1])
bind = cfg.get('bind', '127.0.0.1')
ses = lt.session({
    'listen_interfaces': '%s:0' % bind,
    'outgoing_interfaces': bind,
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_incoming_utp': False, 'enable_outgoing_utp': False,
    'allow_multiple_connections_per_ip': True,
    'ssrf_mitigation': bool(cfg.get('ssrf', False)),
    'announce_to_all_trackers': True, 'announce_to_all_tiers': True,
    'stop_tracker_timeout': 1,
    'urlseed_max_request_bytes': int(cfg.get('web_request_bytes', 16 * 1024 * 1024)),
    'alert_mask': lt.alert.category_t.error_notification | lt.alert.category_t.status_notification
    | lt.alert.category_t.tracker_notification,
})

if cfg.get('torrent'):
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(cfg['torrent'])
else:
    atp = lt.parse_magnet_uri(cfg['magnet'])
atp.save_path = cfg['save']
atp.flags |= lt.torrent_flags.disable_pex | lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd
atp.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
h = ses.add_torrent(atp)
for ip, port in cfg.get('peers', []):
    h.connect_peer((ip, port))

start = time.time()
deadline = start + float(cfg.get('watch') or cfg.get('timeout', 60))
stop_after = cfg.get('stop_after_bytes')
hash_failed = 0
tracker = []
url_seed_errors = []
errors = []
# payload per connection, by kind: connections come and go, so keep the largest total seen for each
by_conn = {}


def poll_peers():
    try:
        for p in h.get_peer_info():
            kind = 'web' if p.connection_type in (lt.peer_info.web_seed, lt.peer_info.http_seed) else 'bt'
            key = (kind, str(p.ip), p.pid.to_bytes() if kind == 'bt' else b'')
            by_conn[key] = max(by_conn.get(key, 0), p.total_download)
    except Exception as e:  # a handle going away at the end
        errors.append('peer info: %s' % e)


announces = answers = 0


def drain():
    global hash_failed, announces, answers
    for a in ses.pop_alerts():
        if isinstance(a, lt.tracker_announce_alert):
            announces += 1
        if isinstance(a, (lt.tracker_reply_alert, lt.tracker_error_alert)):
            answers += 1
        if isinstance(a, lt.hash_failed_alert):
            hash_failed += 1
        elif isinstance(a, lt.tracker_reply_alert):
            tracker.append({'url': a.url, 'version': str(a.version), 'peers': a.num_peers})
        elif isinstance(a, (lt.tracker_error_alert, lt.tracker_warning_alert)):
            tracker.append({'url': a.url if hasattr(a, 'url') else '', 'version': str(getattr(a, 'version', '')), 'error': a.message()})
        elif isinstance(a, lt.url_seed_alert):
            url_seed_errors.append(a.message())
        elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.metadata_failed_alert)):
            errors.append(a.message())


done = False
seconds = None
last_poll = 0
while time.time() < deadline:
    ses.wait_for_alert(50)
    drain()
    now = time.time()
    if now - last_poll > 0.1:
        last_poll = now
        poll_peers()
    st = h.status()
    if st.is_seeding:
        done = True
        seconds = round(time.time() - start, 3)
        break
    if stop_after is not None and st.total_payload_download >= stop_after:
        break

poll_peers()
drain()
st = h.status()
ih = h.info_hashes()
has_meta = st.has_metadata
result = {
    'done': done, 'seconds': seconds, 'elapsed': round(time.time() - start, 3),
    'payload_down': st.total_payload_download, 'total_done': st.total_done,
    'web_down': sum(v for k, v in by_conn.items() if k[0] == 'web'),
    'bt_down': sum(v for k, v in by_conn.items() if k[0] == 'bt'),
    'hash_failed': hash_failed, 'failed_bytes': st.total_failed_bytes,
    'has_metadata': has_meta,
    'has_v2': bool(ih.has_v2()), 'info_hash_v1': str(ih.v1) if ih.has_v1() else None,
    'info_hash_v2': str(ih.v2) if ih.has_v2() else None,
    'torrent_has_v2': bool(h.torrent_file().info_hashes().has_v2()) if has_meta else None,
    'tracker': tracker[-30:], 'url_seed_errors': url_seed_errors[-10:], 'errors': errors[-10:],
    'listen_port': ses.listen_port(),
}
# say "stopped" to the trackers before leaving, or they keep listing this peer. Pausing sends the stopped
# announces, but libtorrent skips them while another announce (`completed`) is in flight: wait for that
# one first. At most 2 + 2 s.
print(json.dumps(result), flush=True)


def settle(until, stop_wanted):
    global announces, answers
    stops = 0
    while time.time() < until:
        if not stop_wanted and announces == answers:
            return
        if stop_wanted and stops > 0 and announces == answers:
            return
        ses.wait_for_alert(50)
        for a in ses.pop_alerts():
            if isinstance(a, lt.tracker_announce_alert):
                announces += 1
                stops += str(a.event) == 'stopped'
            elif isinstance(a, (lt.tracker_reply_alert, lt.tracker_error_alert)):
                answers += 1


settle(time.time() + 2, False)
h.pause()
settle(time.time() + 2, True)
