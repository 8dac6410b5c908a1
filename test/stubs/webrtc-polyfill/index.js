// WebRTC is off in the tests: webtorrent checks for these and falls back to TCP peers.
export const RTCPeerConnection = undefined;
export const RTCSessionDescription = undefined;
export const RTCIceCandidate = undefined;
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate };
