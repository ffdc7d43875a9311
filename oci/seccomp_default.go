package oci

import (
	goruntime "runtime"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// skiff's RuntimeDefault seccomp profile is an allowlist written for skiff
// from the kernel's syscall tables (amd64, 386, arm, arm64 and a few
// arch-private calls): every syscall a normal process needs, and those the
// container's capabilities make meaningful. Left out: obsolete and
// unimplemented calls, the kernel keyring (not namespaced), io_uring (a
// large attack surface that seccomp cannot filter), modify_ldt and vm86,
// and everything that needs a capability the container does not hold.
// Anything else fails with EPERM; runc makes calls newer than the newest
// one the filter knows fail with ENOSYS so that libc falls back.

// baseSyscalls are allowed in every RuntimeDefault container.
var baseSyscalls = []string{
	"_llseek", "_newselect", "accept", "accept4", "access", "adjtimex",
	"alarm", "arch_prctl", "arm_fadvise64_64", "arm_sync_file_range", "bind",
	"breakpoint", "brk", "cacheflush", "cachestat", "capget", "capset",
	"chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
	"clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
	"clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
	"connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait",
	"epoll_pwait2", "epoll_wait", "eventfd", "eventfd2", "execve", "execveat",
	"exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
	"fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod",
	"fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl",
	"fcntl64", "fdatasync", "fgetxattr", "file_getattr", "file_setattr",
	"flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
	"fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
	"ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait",
	"futex_waitv", "futex_wake", "futimesat", "get_mempolicy",
	"get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents",
	"getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
	"getgid32", "getgroups", "getgroups32", "getitimer", "getpeername",
	"getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
	"getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
	"getrusage", "getsid", "getsockname", "getsockopt", "gettid",
	"gettimeofday", "getuid", "getuid32", "getxattr", "getxattrat",
	"inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
	"io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
	"io_pgetevents_time64", "io_setup", "io_submit", "ioctl", "ioprio_get",
	"ioprio_set", "ipc", "kcmp", "kill", "landlock_add_rule",
	"landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32",
	"lgetxattr", "link", "linkat", "listen", "listmount", "listxattr",
	"listxattrat", "llistxattr", "lremovexattr", "lseek", "lsetxattr",
	"lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "lstat",
	"lstat64", "madvise", "map_shadow_stack", "mbind", "membarrier",
	"memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
	"mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
	"mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	"mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
	"mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd",
	"msync", "munlock", "munlockall", "munmap", "name_to_handle_at",
	"nanosleep", "newfstatat", "nice", "oldfstat", "oldlstat", "oldolduname",
	"oldstat", "olduname", "open", "openat", "openat2", "pause",
	"pidfd_getfd", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
	"pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
	"ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
	"process_madvise", "process_mrelease", "process_vm_readv",
	"process_vm_writev", "pselect6", "pselect6_time64", "ptrace", "pwrite64",
	"pwritev", "pwritev2", "read", "readahead", "readdir", "readlink",
	"readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
	"recvmsg", "remap_file_pages", "removexattr", "removexattrat", "rename",
	"renameat", "renameat2", "restart_syscall", "riscv_flush_icache",
	"riscv_hwprobe", "rmdir", "rseq", "rseq_slice_yield", "rt_sigaction",
	"rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
	"rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
	"rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min",
	"sched_getaffinity", "sched_getattr", "sched_getparam",
	"sched_getscheduler", "sched_rr_get_interval",
	"sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
	"sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
	"select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64",
	"send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
	"set_mempolicy", "set_mempolicy_home_node", "set_robust_list",
	"set_thread_area", "set_tid_address", "set_tls", "setfsgid", "setfsgid32",
	"setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
	"setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
	"setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
	"setreuid", "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid",
	"setuid32", "setxattr", "setxattrat", "sgetmask", "shmat", "shmctl",
	"shmdt", "shmget", "shutdown", "sigaction", "sigaltstack", "signal",
	"signalfd", "signalfd4", "sigpending", "sigprocmask", "sigreturn",
	"sigsuspend", "socket", "socketcall", "socketpair", "splice", "ssetmask",
	"stat", "stat64", "statfs", "statfs64", "statmount", "statx", "symlink",
	"symlinkat", "sync", "sync_file_range", "sync_file_range2", "syncfs",
	"sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
	"timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
	"timer_settime64", "timerfd_create", "timerfd_gettime",
	"timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
	"tkill", "truncate", "truncate64", "ugetrlimit", "ulimit", "umask",
	"uname", "unlink", "unlinkat", "uprobe", "uretprobe", "usr26", "usr32",
	"utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice",
	"wait4", "waitid", "waitpid", "write", "writev",
}

// capSyscalls are allowed when the container holds the capability, which
// the kernel demands for them anyway; without it they only widen the
// attack surface.
var capSyscalls = map[string][]string{
	"CAP_SYS_ADMIN": {
		"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
		"fspick", "listns", "lookup_dcookie", "mount", "mount_setattr", "move_mount",
		"open_tree", "open_tree_attr", "pciconfig_iobase", "pciconfig_read",
		"pciconfig_write", "perf_event_open", "pivot_root", "quotactl", "quotactl_fd",
		"setdomainname", "sethostname", "setns", "swapoff", "swapon", "syslog",
		"umount", "umount2", "unshare",
	},
	"CAP_SYS_BOOT":        {"kexec_file_load", "kexec_load", "reboot"},
	"CAP_SYS_MODULE":      {"delete_module", "finit_module", "init_module"},
	"CAP_SYS_PACCT":       {"acct"},
	"CAP_SYS_RAWIO":       {"ioperm", "iopl"},
	"CAP_SYS_TIME":        {"clock_settime", "clock_settime64", "settimeofday", "stime"},
	"CAP_SYSLOG":          {"syslog"},
	"CAP_SYS_TTY_CONFIG":  {"vhangup"},
	"CAP_BPF":             {"bpf"},
	"CAP_PERFMON":         {"perf_event_open"},
	"CAP_DAC_READ_SEARCH": {"open_by_handle_at"},
	"CAP_SYS_NICE":        {"migrate_pages", "move_pages"},
	"CAP_SYS_CHROOT":      {"chroot"},
	"CAP_SYS_PTRACE":      {"userfaultfd"},
}

// cloneNamespaceFlags are the clone flags that create namespaces, which
// need CAP_SYS_ADMIN.
const cloneNamespaceFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
	unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP

// personalities are the personality(2) arguments allowed: PER_LINUX,
// PER_LINUX32, UNAME26, both, and the query value.
var personalities = []uint64{0x0, 0x8, 0x20000, 0x20008, 0xffffffff}

// seccompArches are the architectures a filter covers on each GOARCH: the
// native one and those it can run binaries of.
var seccompArches = map[string][]specs.Arch{
	"amd64":   {specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
	"arm64":   {specs.ArchAARCH64, specs.ArchARM},
	"386":     {specs.ArchX86},
	"arm":     {specs.ArchARM},
	"ppc64le": {specs.ArchPPC64LE},
	"riscv64": {specs.ArchRISCV64},
	"s390x":   {specs.ArchS390X, specs.ArchS390},
}

// DefaultSeccompProfile returns skiff's RuntimeDefault profile for a
// container with the default capability set, on this machine's
// architecture. A container's own profile also allows what its
// capabilities make meaningful.
func DefaultSeccompProfile() *specs.LinuxSeccomp {
	return runtimeDefaultSeccomp(defaultCapabilities, goruntime.GOARCH)
}

// runtimeDefaultSeccomp builds the RuntimeDefault profile for a container
// holding caps, on goarch.
func runtimeDefaultSeccomp(caps []string, goarch string) *specs.LinuxSeccomp {
	eperm := uint(unix.EPERM)
	allowed := slices.Clone(baseSyscalls)
	for _, c := range caps {
		allowed = append(allowed, capSyscalls[c]...)
	}
	slices.Sort(allowed)
	s := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: &eperm,
		Architectures:   slices.Clone(seccompArches[goarch]),
		Syscalls:        []specs.LinuxSyscall{{Names: slices.Compact(allowed), Action: specs.ActAllow}},
	}
	if !slices.Contains(caps, "CAP_SYS_ADMIN") {
		s.Syscalls = append(s.Syscalls, cloneRules(goarch)...)
	}
	for _, p := range personalities {
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{
			Names:  []string{"personality"},
			Action: specs.ActAllow,
			Args:   []specs.LinuxSeccompArg{{Index: 0, Value: p, Op: specs.OpEqualTo}},
		})
	}
	return s
}

// cloneRules allow clone without namespace flags, and make clone3, whose
// flags live in memory seccomp cannot read, fail with ENOSYS so that libc
// falls back to clone.
func cloneRules(goarch string) []specs.LinuxSyscall {
	flagsArg := uint(0)
	if goarch == "s390x" || goarch == "s390" {
		flagsArg = 1 // clone's first two arguments are swapped there
	}
	enosys := uint(unix.ENOSYS)
	return []specs.LinuxSyscall{{
		Names:  []string{"clone"},
		Action: specs.ActAllow,
		Args: []specs.LinuxSeccompArg{{
			Index: flagsArg, Value: cloneNamespaceFlags, ValueTwo: 0, Op: specs.OpMaskedEqual,
		}},
	}, {
		Names:    []string{"clone3"},
		Action:   specs.ActErrno,
		ErrnoRet: &enosys,
	}}
}
