package oci

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// maxAccountsFile bounds what is read of an image's /etc/passwd or
// /etc/group.
const maxAccountsFile = 4 << 20

// scField names a field of the container's security context in errors.
const scField = "linux.security_context."

// containerUser resolves the identity of the container's process: the CRI
// run_as_user / run_as_username / run_as_group, else the image's USER,
// against the image's /etc/passwd and /etc/group; then its groups: the
// primary gid, the CRI supplemental groups and, with the Merge policy, the
// groups /etc/group lists the user in.
func containerUser(rootfs string, sc *runtime.LinuxContainerSecurityContext, img ImageConfig) (specs.User, error) {
	userPart, groupPart, field, err := userSpec(sc, img)
	if err != nil {
		return specs.User{}, err
	}
	acc, err := readAccounts(rootfs)
	if err != nil {
		return specs.User{}, err
	}
	uid, gid, name, err := acc.lookupUser(userPart)
	if err != nil {
		return specs.User{}, invalid(containerScope, field, "%v", err)
	}
	if groupPart != "" {
		if gid, err = acc.lookupGroup(groupPart); err != nil {
			return specs.User{}, invalid(containerScope, field, "%v", err)
		}
	}
	groups, err := supplementalGroups(sc.GetSupplementalGroups())
	if err != nil {
		return specs.User{}, err
	}
	switch p := sc.GetSupplementalGroupsPolicy(); p {
	case runtime.SupplementalGroupsPolicy_Merge:
		groups = append(groups, acc.memberOf(name)...)
	case runtime.SupplementalGroupsPolicy_Strict:
	default:
		return specs.User{}, invalid(containerScope, scField+"supplemental_groups_policy", "unknown policy %d", p)
	}
	return specs.User{UID: uid, GID: gid, AdditionalGids: sortedGIDs(gid, groups)}, nil
}

// userSpec picks the user and group to resolve and the field they come
// from, for errors.
func userSpec(sc *runtime.LinuxContainerSecurityContext, img ImageConfig) (usr, grp, field string, err error) {
	name, uid, gid := sc.GetRunAsUsername(), sc.GetRunAsUser(), sc.GetRunAsGroup()
	switch {
	case name != "" && uid != nil:
		return "", "", "", invalid(containerScope, scField+"run_as_username", "only one of run_as_user and run_as_username may be set")
	case gid != nil && name == "" && uid == nil:
		return "", "", "", invalid(containerScope, scField+"run_as_group", "set without run_as_user or run_as_username")
	}
	if gid != nil {
		if grp, err = idString(gid.GetValue(), scField+"run_as_group"); err != nil {
			return "", "", "", err
		}
	}
	switch {
	case name != "":
		return name, grp, scField + "run_as_username", nil
	case uid != nil:
		usr, err = idString(uid.GetValue(), scField+"run_as_user")
		return usr, grp, scField + "run_as_user", err
	}
	usr, grp, _ = strings.Cut(img.User, ":")
	return usr, grp, "image user", nil
}

// idString checks that a CRI id is a valid uid or gid and formats it.
func idString(v int64, field string) (string, error) {
	if v < 0 || v >= 1<<32-1 {
		return "", invalid(containerScope, field, "%d is out of range", v)
	}
	return strconv.FormatInt(v, 10), nil
}

// supplementalGroups checks the CRI supplemental groups.
func supplementalGroups(in []int64) ([]uint32, error) {
	out := make([]uint32, 0, len(in))
	for _, g := range in {
		if _, err := idString(g, scField+"supplemental_groups"); err != nil {
			return nil, err
		}
		out = append(out, uint32(g))
	}
	return out, nil
}

// sortedGIDs is primary and groups, sorted, without duplicates.
func sortedGIDs(primary uint32, groups []uint32) []uint32 {
	all := append([]uint32{primary}, groups...)
	slices.Sort(all)
	return slices.Compact(all)
}

// accounts is an image's /etc/passwd and /etc/group; both may be empty.
type accounts struct {
	users  []user.User
	groups []user.Group
}

// readAccounts reads /etc/passwd and /etc/group inside rootfs. Symlinks
// are resolved inside rootfs; a missing file is an empty one.
func readAccounts(rootfs string) (accounts, error) {
	var acc accounts
	passwd, err := readInRoot(rootfs, "/etc/passwd")
	if err == nil {
		acc.users, err = user.ParsePasswd(bytes.NewReader(passwd))
	}
	if err != nil {
		return acc, err
	}
	group, err := readInRoot(rootfs, "/etc/group")
	if err == nil {
		acc.groups, err = user.ParseGroup(bytes.NewReader(group))
	}
	return acc, err
}

// readInRoot reads the regular file name inside rootfs; nil if it does not
// exist.
func readInRoot(rootfs, name string) ([]byte, error) {
	h, err := pathrs.OpenInRoot(rootfs, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("container rootfs: open %s: %w: %w", name, errdefs.ErrInternal, err)
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return nil, fmt.Errorf("container rootfs: stat %s: %w: %w", name, errdefs.ErrInternal, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("container rootfs: %s is not a regular file: %w", name, errdefs.ErrInvalidArgument)
	}
	f, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("container rootfs: open %s: %w: %w", name, errdefs.ErrInternal, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAccountsFile+1))
	if err == nil && len(b) > maxAccountsFile {
		err = fmt.Errorf("larger than %d bytes", maxAccountsFile)
	}
	if err != nil {
		return nil, fmt.Errorf("container rootfs: read %s: %w: %w", name, errdefs.ErrInternal, err)
	}
	return b, nil
}

// lookupUser resolves a user name or uid. A number is a uid, whether or
// not /etc/passwd has it (its gid is then 0, as docker has it); a name must
// be in /etc/passwd. "" is root.
func (a accounts) lookupUser(s string) (uid, gid uint32, name string, err error) {
	if s == "" {
		s = "0"
	}
	id, numeric := parseID(s)
	for _, u := range a.users {
		if (numeric && uint32(u.Uid) == id && u.Uid >= 0) || (!numeric && u.Name == s) {
			return uint32(u.Uid), uint32(u.Gid), u.Name, nil
		}
	}
	if !numeric {
		return 0, 0, "", fmt.Errorf("user %q not found in the image's /etc/passwd", s)
	}
	return id, 0, "", nil
}

// lookupGroup resolves a group name or gid; a name must be in /etc/group.
func (a accounts) lookupGroup(s string) (uint32, error) {
	if id, ok := parseID(s); ok {
		return id, nil
	}
	for _, g := range a.groups {
		if g.Name == s {
			return uint32(g.Gid), nil
		}
	}
	return 0, fmt.Errorf("group %q not found in the image's /etc/group", s)
}

// memberOf lists the gids of the groups that name the user as a member.
func (a accounts) memberOf(name string) []uint32 {
	var gids []uint32
	if name == "" {
		return nil
	}
	for _, g := range a.groups {
		if slices.Contains(g.List, name) {
			gids = append(gids, uint32(g.Gid))
		}
	}
	return gids
}

// parseID parses a decimal uid or gid (not -1).
func parseID(s string) (uint32, bool) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v == 1<<32-1 {
		return 0, false
	}
	return uint32(v), true
}
