#!/usr/bin/python3
"""
libtorrent peers for the seeder's tests and benchmark, all in this one process, loopback only.

  lt_swarm.py '<json config>'

config:
  role      "leech" (default) or "seed"
  torrent   path of a .torrent, or
  magnet    a magnet URI (metadata then comes over ut_metadata)
  dirs      one save directory per session (leech) / the directory holding the data (seed: one entry)
  ports     one listen port per session
  peers     [[host, port], ...] every session connects to these (e.g. our seeder)
  mesh      true: leechers also connect to each other
  encryption "enabled" (libtorrent's default: PE first, plaintext allowed), "disabled", "forced"
  timeout   seconds before giving up
  linger    true: stay until every leecher is done (so they can trade), else leave at completion

Leech prints one JSON line at the end: {"done": [bool...], "seconds": [...], "payload_down": [...],
"payload_up": [...], "errors": [...]}. Seed prints {"listening": port} once ready, then runs until stdin
closes and prints {"payload_up": n}. DHT, LSD, UPnP, NAT-PMP, PEX and uTP are off.
"""
import json
import sys
import time
import threading

import libtorrent as lt

cfg = json.loads(sys.argv[1])
role = cfg.get('role', 'leech')
enc = {'enabled': lt.enc_policy.pe_enabled, 'disabled': lt.enc_policy.pe_disabled,
       'forced': lt.enc_policy.pe_forced}[cfg.get('encryption', 'enabled')]


def make_session(port):
    return lt.session({
        'listen_interfaces': '127.0.0.1:%d' % port,
        'outgoing_interfaces': '127.0.0.1',
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'enable_incoming_utp': False, 'enable_outgoing_utp': False,
        'allow_multiple_connections_per_ip': True,
        'ssrf_mitigation': False,
        'out_enc_policy': enc, 'in_enc_policy': enc,
        'alert_mask': lt.alert.category_t.error_notification,
    })


def add(ses, save):
    if cfg.get('torrent'):
        p = lt.add_torrent_params()
        p.ti = lt.torrent_info(cfg['torrent'])
    else:
        p = lt.parse_magnet_uri(cfg['magnet'])
    p.save_path = save
    p.flags |= lt.torrent_flags.disable_pex | lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd
    p.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
    if role == 'seed':
        p.flags |= lt.torrent_flags.seed_mode
    return ses.add_torrent(p)


ports = cfg['ports']
sessions = [make_session(port) for port in ports]
handles = [add(s, d) for s, d in zip(sessions, cfg['dirs'])]

if role == 'seed':
    print(json.dumps({'listening': sessions[0].listen_port()}), flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    st = handles[0].status()
    print(json.dumps({'payload_up': st.total_payload_upload}), flush=True)
    sys.exit(0)

peers = [tuple(p) for p in cfg.get('peers', [])]


def connect_all():
    for i, h in enumerate(handles):
        for p in peers:
            h.connect_peer(p)
        if cfg.get('mesh'):
            for j, port in enumerate(ports):
                if j != i:
                    h.connect_peer(('127.0.0.1', port))


connect_all()
start = time.time()
n = len(handles)
done = [False] * n
seconds = [None] * n
errors = []
last_connect = start
deadline = start + cfg.get('timeout', 120)
while time.time() < deadline and not all(done):
    time.sleep(0.05)
    for a in sessions[0].pop_alerts() if n == 1 else []:
        errors.append(str(a.message()))
    for i, h in enumerate(handles):
        st = h.status()
        if not done[i] and st.is_seeding:
            done[i] = True
            seconds[i] = round(time.time() - start, 3)
            if not cfg.get('linger'):
                h.pause()
    if time.time() - last_connect > 2:  # peers we lost (or that were not up yet) get another try
        last_connect = time.time()
        connect_all()

result = {
    'done': done, 'seconds': seconds,
    'payload_down': [h.status().total_payload_download for h in handles],
    'payload_up': [h.status().total_payload_upload for h in handles],
    'errors': errors[-20:],
}
for s in sessions:
    for a in s.pop_alerts():
        result['errors'].append(str(a.message()))
result['errors'] = result['errors'][-20:]
print(json.dumps(result), flush=True)
