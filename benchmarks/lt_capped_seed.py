#!/usr/bin/python3
"""
A python3-libtorrent seeder with its upload capped, for benchmarks/offload.ts (loopback only).

  lt_capped_seed.py '<json config>'

config:
  file          the data file (single-file torrent named after it)
  torrent       where to write the .torrent made from it (v1, no web seed)
  piece_length  bytes
  tracker       announce URL
  port          listen port (127.0.0.1)
  rate          upload cap, bytes/s (0: none)
  super_seeding true: BEP 16 super-seeding

Loopback peers are in libtorrent's unlimited "local" peer class, so the cap would be silently ignored:
every address is mapped into the global peer class instead (real-clients.md §6). Prints
{"listening": port} once seeding, then runs until stdin closes and prints {"payload_up": bytes}.
DHT, LSD, UPnP, NAT-PMP and uTP are off; several connections per IP are allowed (all leechers are 127.0.0.1).
"""
import json
import os
import sys

import libtorrent as lt

cfg = json.loads(sys.argv[1])

fs = lt.file_storage()
lt.add_files(fs, cfg['file'])
ct = lt.create_torrent(fs, cfg['piece_length'], flags=lt.create_torrent.v1_only)
ct.add_tracker(cfg['tracker'])
ct.set_creator('seedbucket offload bench')
lt.set_piece_hashes(ct, os.path.dirname(cfg['file']))
with open(cfg['torrent'], 'wb') as f:
    f.write(lt.bencode(ct.generate()))

ses = lt.session({
    'listen_interfaces': '127.0.0.1:%d' % cfg['port'],
    'outgoing_interfaces': '127.0.0.1',
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_incoming_utp': False, 'enable_outgoing_utp': False,
    'allow_multiple_connections_per_ip': True,
    'ssrf_mitigation': False,
    'upload_rate_limit': int(cfg.get('rate', 0)),
    'alert_mask': lt.alert.category_t.error_notification,
})
pcf = lt.ip_filter()
pcf.add_rule('0.0.0.0', '255.255.255.255', 1 << lt.session.global_peer_class_id)
ses.set_peer_class_filter(pcf)

p = lt.add_torrent_params()
p.ti = lt.torrent_info(cfg['torrent'])
p.save_path = os.path.dirname(cfg['file'])
p.flags |= lt.torrent_flags.seed_mode | lt.torrent_flags.disable_pex | lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd
p.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
if cfg.get('super_seeding'):
    p.flags |= lt.torrent_flags.super_seeding
h = ses.add_torrent(p)

print(json.dumps({'listening': ses.listen_port()}), flush=True)
sys.stdin.read()  # until the parent closes our stdin
st = h.status()
print(json.dumps({'payload_up': st.total_payload_upload, 'super_seeding': bool(h.flags() & lt.torrent_flags.super_seeding)}), flush=True)
