package stats

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// DefaultInterface is the pod's interface that CNI plugins create and
// that kubelet reports as the pod's network.
const DefaultInterface = "eth0"

// Interface is the counters of one network interface.
type Interface struct {
	Name                                    string
	RxBytes, RxPackets, RxErrors, RxDropped uint64
	TxBytes, TxPackets, TxErrors, TxDropped uint64
}

// Network is a pod's network counters, loopback left out.
type Network struct {
	Time       time.Time
	Interfaces []Interface
}

// ReadNetwork reads the counters of the interfaces in the network
// namespace pinned at nsPath, over a netlink socket opened in it. A
// namespace that is gone is errdefs.ErrNotFound.
func ReadNetwork(nsPath string) (Network, error) {
	ns, err := netns.GetFromPath(nsPath)
	if os.IsNotExist(err) {
		return Network{}, fmt.Errorf("network namespace %s: %w", nsPath, errdefs.ErrNotFound)
	}
	if err != nil {
		return Network{}, fmt.Errorf("network namespace %s: %w", nsPath, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return Network{}, fmt.Errorf("netlink in %s: %w", nsPath, err)
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return Network{}, fmt.Errorf("list links in %s: %w", nsPath, err)
	}
	n := Network{Time: time.Now()}
	for _, l := range links {
		a := l.Attrs()
		if a.Flags&net.FlagLoopback != 0 || a.Statistics == nil {
			continue
		}
		st := a.Statistics
		n.Interfaces = append(n.Interfaces, Interface{
			Name:    a.Name,
			RxBytes: st.RxBytes, RxPackets: st.RxPackets, RxErrors: st.RxErrors, RxDropped: st.RxDropped,
			TxBytes: st.TxBytes, TxPackets: st.TxPackets, TxErrors: st.TxErrors, TxDropped: st.TxDropped,
		})
	}
	return n, nil
}
