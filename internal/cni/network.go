package cni

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
)

// ReasonNotReady is the CRI NetworkReady condition's reason when Status
// fails, the reason kubelet and cri-o use.
const ReasonNotReady = "NetworkPluginNotReady"

// NotReadyError says why the network cannot be used. It is of class
// errdefs.ErrFailedPrecondition.
type NotReadyError struct {
	Reason  string // ReasonNotReady
	Message string // what is missing, for a person
}

func (e *NotReadyError) Error() string { return "cni: network not ready: " + e.Message }

// Unwrap makes the error of class errdefs.ErrFailedPrecondition.
func (e *NotReadyError) Unwrap() error { return errdefs.ErrFailedPrecondition }

// Network attaches pods to the CNI network. It is safe for concurrent use;
// it holds no resources and needs no Close.
type Network struct {
	cfg  Config
	cni  *libcni.CNIConfig
	pods podLocks

	// mu guards the fields below.
	mu       sync.Mutex
	podCIDRs []string // from SetPodCIDR; nil until set
	lastConf []byte   // the config last used, to log changes
}

// New validates cfg and returns a Network. It does not check that the
// network is usable; Status does.
func New(cfg Config) (*Network, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errdefs.ErrInvalidArgument, err)
	}
	return &Network{
		cfg: cfg,
		cni: libcni.NewCNIConfigWithCacheDir(cfg.BinDirs, cfg.CacheDir, newPluginExec()),
	}, nil
}

// SetPodCIDR sets the node's pod CIDR (CRI UpdateRuntimeConfig; a
// comma-separated pair for dual stack). The default network allocates from
// it instead of DefaultSubnet, and configs whose IPAM declares the
// ipRanges capability receive it. An empty cidr clears it.
func (n *Network) SetPodCIDR(cidr string) error {
	var cidrs []string
	if strings.TrimSpace(cidr) != "" {
		var err error
		if cidrs, err = parseCIDRs(cidr); err != nil {
			return fmt.Errorf("cni: pod CIDR %q: %w: %w", cidr, errdefs.ErrInvalidArgument, err)
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.podCIDRs = cidrs
	return nil
}

func (n *Network) podCIDR() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.podCIDRs
}

// Status returns nil if the network config in use (a file of ConfDir, or
// the default network) and every plugin it names exist, or else a
// *NotReadyError saying what is missing.
func (n *Network) Status() error {
	_, err := n.current(context.Background())
	return err
}

// UsesDefault reports whether the network in use is skiff's default one
// (ConfDir holds no config file), for which skiffd should call
// EnsureForwarding. A ConfDir whose files are all invalid is not ready
// rather than replaced by the default.
func (n *Network) UsesDefault() (bool, error) {
	nc, err := loadConfDir(n.cfg.ConfDir)
	return err == nil && nc.list == nil && len(nc.skipped) == 0, err
}

// current loads the config in use and checks that its plugins exist.
func (n *Network) current(ctx context.Context) (netConf, error) {
	nc, err := loadConfDir(n.cfg.ConfDir)
	if err != nil {
		return nc, &NotReadyError{ReasonNotReady, err.Error()}
	}
	if nc.list == nil && len(nc.skipped) > 0 {
		return nc, &NotReadyError{ReasonNotReady, fmt.Sprintf("no valid network config in %s: %v", n.cfg.ConfDir, errors.Join(nc.skipped...))}
	}
	if nc.list == nil {
		subnets := n.podCIDR()
		if subnets == nil {
			subnets, _ = parseCIDRs(n.cfg.DefaultSubnet)
		}
		if nc.list, err = defaultConfList(n.cfg, subnets); err != nil {
			return nc, fmt.Errorf("cni: default network: %w: %w", errdefs.ErrInternal, err)
		}
	}
	n.noteConf(ctx, nc)
	if missing := n.missingPlugins(nc.list); len(missing) > 0 {
		msg := fmt.Sprintf("network %q (%s): plugin binaries %s not found in %s",
			nc.list.Name, nc.source(), strings.Join(missing, ", "), strings.Join(n.cfg.BinDirs, ":"))
		if nc.file == "" {
			msg = fmt.Sprintf("no network config in %s, and the default %s", n.cfg.ConfDir, msg)
		}
		if len(nc.skipped) > 0 {
			msg += fmt.Sprintf(" (skipped invalid configs: %v)", errors.Join(nc.skipped...))
		}
		return nc, &NotReadyError{ReasonNotReady, msg}
	}
	return nc, nil
}

// missingPlugins lists the plugin and IPAM types of list with no binary.
func (n *Network) missingPlugins(list *libcni.NetworkConfigList) []string {
	var missing []string
	for _, p := range list.Plugins {
		for _, typ := range []string{p.Network.Type, p.Network.IPAM.Type} {
			if typ == "" || slices.Contains(missing, typ) {
				continue
			}
			if _, err := invoke.FindInPath(typ, n.cfg.BinDirs); err != nil {
				missing = append(missing, typ)
			}
		}
	}
	return missing
}

// noteConf logs when the config in use changes, and each invalid file.
func (n *Network) noteConf(ctx context.Context, nc netConf) {
	n.mu.Lock()
	changed := !bytes.Equal(n.lastConf, nc.list.Bytes)
	n.lastConf = nc.list.Bytes
	n.mu.Unlock()
	if !changed {
		return
	}
	for _, err := range nc.skipped {
		log.G(ctx).Warn("cni: skipping invalid network config", log.KeyError, err)
	}
	log.G(ctx).Info("cni: network config in use", "network", nc.list.Name, "source", nc.source())
}

func (nc netConf) source() string {
	if nc.file == "" {
		return "skiff default"
	}
	return nc.file
}
