"""The gateway's SIP media: a PJSIP user agent that takes a carrier's SIP trunk calls (docs/sip-line.md)."""
