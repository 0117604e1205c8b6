package netcheck

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
)

// span is an inclusive range of IPv4 addresses or of ports. Both are
// evaluated the same way: a rule covers part of what a path needs, all of
// it, or none, and NACL first-match semantics work on the pieces.
type span struct{ lo, hi uint32 }

// spans is a sorted union of non-overlapping, non-adjacent spans.
type spans []span

var (
	allAddrs = spans{{0, 1<<32 - 1}}
	allPorts = span{0, 65535}
	// ephemeral is where return traffic goes: the client side of a TCP or
	// UDP connection. AWS's NACL documentation asks for 1024-65535.
	ephemeral = span{1024, 65535}
)

// parseCIDR reads an IPv4 CIDR such as "10.0.0.0/16".
func parseCIDR(s string) (span, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return span{}, fmt.Errorf("%q is not a CIDR: %v", s, err)
	}
	if !p.Addr().Is4() {
		return span{}, fmt.Errorf("%q is not an IPv4 CIDR", s)
	}
	p = p.Masked()
	lo := u32(p.Addr())
	size := uint64(1) << (32 - p.Bits())
	return span{lo, uint32(uint64(lo) + size - 1)}, nil
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addrOf(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func mk(ss ...span) spans {
	out := slices.Clone(ss)
	slices.SortFunc(out, func(a, b span) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	var merged spans
	for _, s := range out {
		if n := len(merged); n > 0 && (merged[n-1].hi == 1<<32-1 || s.lo <= merged[n-1].hi+1) {
			if s.hi > merged[n-1].hi {
				merged[n-1].hi = s.hi
			}
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

func (s spans) union(o spans) spans { return mk(append(slices.Clone(s), o...)...) }

func (s spans) intersect(o spans) spans {
	var out spans
	for _, a := range s {
		for _, b := range o {
			lo, hi := max(a.lo, b.lo), min(a.hi, b.hi)
			if lo <= hi {
				out = append(out, span{lo, hi})
			}
		}
	}
	return mk(out...)
}

func (s spans) minus(o spans) spans {
	out := slices.Clone(s)
	for _, b := range o {
		var next spans
		for _, a := range out {
			if b.hi < a.lo || b.lo > a.hi {
				next = append(next, a)
				continue
			}
			if b.lo > a.lo {
				next = append(next, span{a.lo, b.lo - 1})
			}
			if b.hi < a.hi {
				next = append(next, span{b.hi + 1, a.hi})
			}
		}
		out = next
	}
	return out
}

func (s spans) empty() bool { return len(s) == 0 }

// covers reports whether every address of o is in s.
func (s spans) covers(o spans) bool { return o.minus(s).empty() }

func (s spans) overlaps(o spans) bool { return !s.intersect(o).empty() }

func (a span) contains(b span) bool { return a.lo <= b.lo && b.hi <= a.hi }

func (a span) overlaps(b span) bool { return a.lo <= b.hi && b.lo <= a.hi }

// cidrs splits the addresses into the fewest CIDR blocks.
func (s spans) cidrs() []string {
	var out []string
	for _, sp := range s {
		lo, hi := uint64(sp.lo), uint64(sp.hi)
		for lo <= hi {
			// the largest block aligned at lo that fits in [lo, hi]
			size := uint64(1) << 32
			if lo != 0 {
				size = uint64(1) << bits.TrailingZeros64(lo)
			}
			for lo+size-1 > hi {
				size >>= 1
			}
			out = append(out, fmt.Sprintf("%s/%d", addrOf(uint32(lo)), 32-bits.TrailingZeros64(size)))
			lo += size
		}
	}
	return out
}

// String shows addresses as CIDRs, the first few only.
func (s spans) String() string {
	c := s.cidrs()
	if len(c) > 3 {
		return strings.Join(c[:3], ", ") + fmt.Sprintf(" and %d more blocks", len(c)-3)
	}
	if len(c) == 0 {
		return "no address"
	}
	return strings.Join(c, ", ")
}

// portText shows a port range the way AWS consoles do: "443", "1024-65535".
func portText(p span) string {
	if p == allPorts {
		return "all ports"
	}
	if p.lo == p.hi {
		return fmt.Sprint(p.lo)
	}
	return fmt.Sprintf("%d-%d", p.lo, p.hi)
}

// private is the RFC 1918 space: never the internet.
var private = mk(mustCIDR("10.0.0.0/8"), mustCIDR("172.16.0.0/12"), mustCIDR("192.168.0.0/16"))

func mustCIDR(s string) span {
	sp, err := parseCIDR(s)
	if err != nil {
		panic(err)
	}
	return sp
}
