"""python3-libtorrent driver for the tracker tests (Debian's /usr/bin/python3). All traffic on 127.0.0.1;
DHT, LSD, UPnP, NAT-PMP off, so the tracker is the only peer source.

  lt-swarm.py create DIR PRIVATE          -> writes DIR/seed/data.bin and DIR/t.torrent, prints {"info_hash": hex}
  lt-swarm.py swarm DIR TRACKER_URL [S]   -> a seeder and a leecher session find each other through the tracker
                                             only (within S seconds, default 60); prints {"ok", "seconds", ...}
  lt-swarm.py seed DIR TRACKER_URL        -> one seeding session; prints {"port": P} then seeds until stdin closes
The TRACKER_URL replaces the torrent's own (it may carry ?token=..., which does not change the info-hash).
"""
import json
import os
import sys
import time

import libtorrent as lt

SIZE = 3 * 1024 * 1024 + 123
PIECE = 256 * 1024
DEADLINE_S = 60


def settings():
    return {
        'listen_interfaces': '127.0.0.1:0',
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'allow_multiple_connections_per_ip': True,
        'alert_mask': lt.alert.category_t.tracker_notification | lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
        'announce_to_all_trackers': True,
    }


def create(d, private):
    os.makedirs(os.path.join(d, 'seed'), exist_ok=True)
    with open(os.path.join(d, 'seed', 'data.bin'), 'wb') as f:
        f.write(os.urandom(SIZE))
    fs = lt.file_storage()
    lt.add_files(fs, os.path.join(d, 'seed', 'data.bin'))
    # no announce URL inside: each run names the tracker (atp.trackers, aria2's --bt-tracker)
    t = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
    t.set_priv(private)
    lt.set_piece_hashes(t, os.path.join(d, 'seed'))
    data = lt.bencode(t.generate())
    with open(os.path.join(d, 't.torrent'), 'wb') as f:
        f.write(data)
    info = lt.torrent_info(os.path.join(d, 't.torrent'))
    print(json.dumps({'info_hash': str(info.info_hashes().v1)}))


def add(ses, d, save, tracker_url):
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(os.path.join(d, 't.torrent'))
    atp.save_path = save
    atp.trackers = [tracker_url]
    return ses.add_torrent(atp)


def drain(ses, log):
    for a in ses.pop_alerts():
        if isinstance(a, lt.tracker_reply_alert):
            log.append({'reply': a.num_peers, 'url': a.url})
        elif isinstance(a, (lt.tracker_error_alert, lt.tracker_warning_alert)):
            log.append({'error': a.message()})


def swarm(d, tracker_url, deadline):
    seeder = lt.session(settings())
    leecher = lt.session(settings())
    log_s, log_l = [], []
    started = time.time()
    hs = add(seeder, d, os.path.join(d, 'seed'), tracker_url)
    while not hs.status().is_seeding and time.time() - started < deadline:
        drain(seeder, log_s)
        time.sleep(0.05)
    os.makedirs(os.path.join(d, 'leech'), exist_ok=True)
    hl = add(leecher, d, os.path.join(d, 'leech'), tracker_url)
    while time.time() - started < deadline:
        drain(seeder, log_s)
        drain(leecher, log_l)
        if hl.status().is_seeding:
            break
        time.sleep(0.05)
    st = hl.status()
    ok = st.is_seeding
    if ok:
        with open(os.path.join(d, 'seed', 'data.bin'), 'rb') as a, open(os.path.join(d, 'leech', 'data.bin'), 'rb') as b:
            ok = a.read() == b.read()
    print(json.dumps({
        'ok': ok, 'seconds': round(time.time() - started, 2), 'progress': st.progress,
        'seeder_port': seeder.listen_port(), 'leecher_port': leecher.listen_port(),
        'seeder_tracker': log_s, 'leecher_tracker': log_l,
    }))


def seed(d, tracker_url):
    ses = lt.session(settings())
    h = add(ses, d, os.path.join(d, 'seed'), tracker_url)
    started = time.time()
    while not h.status().is_seeding and time.time() - started < DEADLINE_S:
        time.sleep(0.05)
    print(json.dumps({'port': ses.listen_port(), 'seeding': h.status().is_seeding}), flush=True)
    sys.stdin.read()  # until the test closes stdin (or kills us)
    print(json.dumps({'uploaded': h.status().total_payload_upload}), flush=True)


if __name__ == '__main__':
    mode, d = sys.argv[1], sys.argv[2]
    if mode == 'create':
        create(d, sys.argv[3] == '1')
    elif mode == 'swarm':
        swarm(d, sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else DEADLINE_S)
    elif mode == 'seed':
        seed(d, sys.argv[3])
    else:
        sys.exit('unknown mode ' + mode)
