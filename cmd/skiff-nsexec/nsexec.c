/*
 * skiff-nsexec: runs one command in a running container, the fast way.
 *
 *	skiff-nsexec [-u UID -g GID [-G GID,...]] [-c CWD] PROFILE PID -- CMD ARG...
 *
 * PROFILE is the container's exec profile (internal/shim/monitor,
 * execprofile.go): NUL-separated "key=value" records that the shim's
 * helper computed from libcontainer's config at create time. PID is the
 * container init's pid. The environment of this program is the
 * command's (already deduplicated by the shim); -u/-g/-G/-c override
 * the profile's user and cwd. The command is searched in the PATH of
 * that environment, as libcontainer's init does.
 *
 * It opens the init's namespaces (all of them before any setns), joins
 * the container's cgroups, enters the namespaces (mnt last) and clones
 * the command's process with CLONE_PARENT, so that it is the shim's
 * child and in the container's PID namespace. The child sets up what
 * libcontainer's setns init does, in the same order, and execs.
 *
 * Fd 3 is the report pipe: this program writes "pid N\n" once the child
 * exists, and "err STEP ERRNO\n" for a failure before execve (its own or
 * the child's, which reports over a close-on-exec pipe), then exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define REPORT_FD 3
#define MAX_LIST 64

static const char *ns_names[] = { "ipc", "uts", "net", "pid", "cgroup", "mnt" };
#define NNS (sizeof(ns_names) / sizeof(ns_names[0]))

struct profile {
	const char *cgroups[MAX_LIST];
	int ncgroups;
	uid_t uid;
	gid_t gid;
	gid_t groups[MAX_LIST];
	int ngroups;
	uint64_t bnd, eff, prm, inh, amb;
	int nnp;
	struct { int res; struct rlimit lim; } rlimits[MAX_LIST];
	int nrlimits;
	int umask; /* -1: unset */
	const char *cwd;
	const char *keyring;
	const char *oom;
	struct sock_fprog seccomp; /* len 0: none */
	unsigned long seccomp_flags;
};

static int report = REPORT_FD;

static void fail(const char *step, int err)
{
	dprintf(report, "err %s %d\n", step, err);
	_exit(1);
}

static uint64_t num(const char *s, int base)
{
	return strtoull(s, NULL, base);
}

static void parse_groups(struct profile *p, const char *s)
{
	p->ngroups = 0;
	while (*s && p->ngroups < MAX_LIST) {
		char *end;
		p->groups[p->ngroups++] = (gid_t)strtoul(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
		if (end == s && *s) /* not a number */
			fail("profile", EINVAL);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	fail("profile", EINVAL);
	return 0;
}

/* parse_seccomp decodes the hex of a struct sock_filter array. */
static void parse_seccomp(struct profile *p, const char *s)
{
	size_t n = strlen(s) / 2;
	if (strlen(s) % 2 || n == 0 || n % sizeof(struct sock_filter) || n / sizeof(struct sock_filter) > BPF_MAXINSNS)
		fail("profile", EINVAL);
	unsigned char *b = malloc(n);
	if (!b)
		fail("profile", ENOMEM);
	for (size_t i = 0; i < n; i++)
		b[i] = hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]);
	p->seccomp.filter = (struct sock_filter *)b;
	p->seccomp.len = n / sizeof(struct sock_filter);
}

/* load reads the profile into p; its strings point into the file's copy. */
static void load(const char *path, struct profile *p)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		fail("profile", errno);
	char *buf = malloc(st.st_size + 1);
	if (!buf)
		fail("profile", ENOMEM);
	ssize_t n = 0;
	while (n < st.st_size) {
		ssize_t r = read(fd, buf + n, st.st_size - n);
		if (r <= 0)
			fail("profile", r < 0 ? errno : EIO);
		n += r;
	}
	close(fd);
	buf[n] = 0;
	memset(p, 0, sizeof(*p));
	p->umask = -1;
	for (char *rec = buf, *next; rec < buf + n; rec = next) {
		next = rec + strlen(rec) + 1;
		char *v = strchr(rec, '=');
		if (!v)
			fail("profile", EINVAL);
		*v++ = 0;
		if (!strcmp(rec, "cgroup") && p->ncgroups < MAX_LIST)
			p->cgroups[p->ncgroups++] = v;
		else if (!strcmp(rec, "uid"))
			p->uid = num(v, 10);
		else if (!strcmp(rec, "gid"))
			p->gid = num(v, 10);
		else if (!strcmp(rec, "groups"))
			parse_groups(p, v);
		else if (!strcmp(rec, "bnd"))
			p->bnd = num(v, 16);
		else if (!strcmp(rec, "eff"))
			p->eff = num(v, 16);
		else if (!strcmp(rec, "prm"))
			p->prm = num(v, 16);
		else if (!strcmp(rec, "inh"))
			p->inh = num(v, 16);
		else if (!strcmp(rec, "amb"))
			p->amb = num(v, 16);
		else if (!strcmp(rec, "nnp"))
			p->nnp = v[0] == '1';
		else if (!strcmp(rec, "umask"))
			p->umask = num(v, 8);
		else if (!strcmp(rec, "cwd"))
			p->cwd = v;
		else if (!strcmp(rec, "keyring"))
			p->keyring = v;
		else if (!strcmp(rec, "oom"))
			p->oom = v;
		else if (!strcmp(rec, "seccomp"))
			parse_seccomp(p, v);
		else if (!strcmp(rec, "seccomp_flags"))
			p->seccomp_flags = num(v, 10);
		else if (!strcmp(rec, "rlimit") && p->nrlimits < MAX_LIST) {
			unsigned long long res, soft, hard;
			if (sscanf(v, "%llu %llu %llu", &res, &soft, &hard) != 3)
				fail("profile", EINVAL);
			p->rlimits[p->nrlimits].res = res;
			p->rlimits[p->nrlimits].lim.rlim_cur = soft;
			p->rlimits[p->nrlimits].lim.rlim_max = hard;
			p->nrlimits++;
		}
		/* env records are the shim's business; unknown keys are not
		 * written by a shim that would need them honoured. */
	}
}

static void write_file(const char *path, const char *s, const char *step)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail(step, errno);
	if (write(fd, s, strlen(s)) < 0)
		fail(step, errno);
	close(fd);
}

/* join_cgroups writes our pid into each cgroup's cgroup.procs; a cgroup
 * that is gone is skipped, as libcontainer does. */
static void join_cgroups(struct profile *p)
{
	char path[4096], pid[32];
	snprintf(pid, sizeof(pid), "%d", getpid());
	for (int i = 0; i < p->ncgroups; i++) {
		if (access(p->cgroups[i], F_OK) < 0 && errno == ENOENT)
			continue;
		snprintf(path, sizeof(path), "%s/cgroup.procs", p->cgroups[i]);
		write_file(path, pid, "cgroup");
	}
}

static int last_cap(void)
{
	char b[16] = { 0 };
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, b, sizeof(b) - 1) <= 0)
		return 40;
	close(fd);
	return atoi(b);
}

/* home returns the home directory of uid in the container's /etc/passwd,
 * "/" when there is none (what libcontainer does). */
static const char *home(uid_t uid)
{
	static char line[1024];
	FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return "/";
	while (fgets(line, sizeof(line), f)) {
		char *field[7];
		int n = 0;
		char *s = line;
		line[strcspn(line, "\n")] = 0;
		while (n < 7 && s) {
			field[n++] = s;
			s = strchr(s, ':');
			if (s)
				*s++ = 0;
		}
		if (n == 7 && strtoul(field[2], NULL, 10) == uid && field[2][0]) {
			fclose(f);
			return field[5];
		}
	}
	fclose(f);
	return "/";
}

/* lookpath resolves name as Go's exec.LookPath does in the container: a
 * name with a slash as is, any other in each directory of PATH; it must
 * be a regular, executable file. */
static const char *lookpath(const char *name, const char *path)
{
	static char buf[4096];
	struct stat st;
	if (strchr(name, '/')) {
		if (stat(name, &st) < 0)
			fail("lookpath", errno);
		if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111))
			fail("lookpath", EACCES);
		return name;
	}
	for (const char *d = path ? path : ""; *d; d++) {
		const char *end = strchrnul(d, ':');
		int len = end - d;
		/* an empty or relative entry would give a relative path, which
		 * Go refuses (exec.ErrDot) */
		if (len > 0 && *d == '/') {
			snprintf(buf, sizeof(buf), "%.*s/%s", len, d, name);
			if (stat(buf, &st) == 0 && !S_ISDIR(st.st_mode) && (st.st_mode & 0111))
				return buf;
		}
		if (!*end)
			break;
		d = end;
	}
	fail("lookpath", ENOENT);
	return NULL;
}

/* fix_stdio gives the exec'd user its stdio, as libcontainer does. */
static void fix_stdio(uid_t uid)
{
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0)
			fail("stdio", errno);
		if (st.st_uid == uid || (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)))
			continue;
		/* not ours to give, or on a read-only /dev: left as is */
		if (fchown(fd, uid, st.st_gid) < 0 && errno != EPERM && errno != EROFS)
			fail("stdio", errno);
	}
}

static void set_caps(struct profile *p)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	d[0].effective = (uint32_t)p->eff;
	d[1].effective = (uint32_t)(p->eff >> 32);
	d[0].permitted = (uint32_t)p->prm;
	d[1].permitted = (uint32_t)(p->prm >> 32);
	d[0].inheritable = (uint32_t)p->inh;
	d[1].inheritable = (uint32_t)(p->inh >> 32);
	if (syscall(SYS_capset, &h, d) < 0)
		fail("capset", errno);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail("ambient", errno);
	/* a cap that cannot be raised is skipped, as libcontainer does */
	for (int c = 0; c < 64; c++)
		if ((p->amb >> c) & 1)
			prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
}

/* load_seccomp loads the profile's filter as libcontainer does: with
 * prctl when there are no flags, else with seccomp(2). */
static void load_seccomp(struct profile *p, const char *step)
{
	long r;
	if (p->seccomp_flags)
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &p->seccomp);
	else
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p->seccomp, 0, 0);
	if (r < 0)
		fail(step, errno);
}

/* child is the command's process, in the container's namespaces and
 * cgroups: the setup of libcontainer's setns init, then execve. */
static void child(struct profile *p, const char *cwd, char **argv)
{
	if (p->keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p->keyring) < 0 && errno != ENOSYS)
		fail("keyring", errno);
	if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("no_new_privs", errno);
	if (p->umask >= 0)
		umask(p->umask);
	for (int i = 0; i < p->nrlimits; i++)
		if (setrlimit(p->rlimits[i].res, &p->rlimits[i].lim) < 0)
			fail("rlimit", errno);
	if (p->seccomp.len && !p->nnp)
		load_seccomp(p, "seccomp");
	int retry_cwd = 0;
	if (cwd && *cwd && chdir(cwd) < 0) {
		if (errno != EACCES && errno != EPERM)
			fail("chdir", errno);
		retry_cwd = 1;
	}
	if (!getenv("HOME"))
		setenv("HOME", home(p->uid), 1);
	int last = last_cap();
	for (int c = 0; c <= last; c++)
		if (!((p->bnd >> c) & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			fail("bounding", errno);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fail("keepcaps", errno);
	fix_stdio(p->uid);
	if (setgroups(p->ngroups, p->groups) < 0)
		fail("setgroups", errno);
	if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
		fail("setgid", errno);
	if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
		fail("setuid", errno);
	if (retry_cwd && chdir(cwd) < 0)
		fail("chdir", errno);
	char wd[4096];
	if (!getcwd(wd, sizeof(wd)) || wd[0] != '/')
		fail("cwd", ENOENT);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail("keepcaps", errno);
	set_caps(p);
	const char *file = lookpath(argv[0], getenv("PATH"));
	if (p->seccomp.len && p->nnp)
		load_seccomp(p, "seccomp_nnp");
	extern char **environ;
	execve(file, argv, environ);
	fail("exec", errno);
}

int main(int argc, char **argv)
{
	struct profile p;
	const char *cwd = NULL, *uid = NULL, *gid = NULL, *groups = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "+u:g:G:c:")) != -1) {
		switch (opt) {
		case 'u': uid = optarg; break;
		case 'g': gid = optarg; break;
		case 'G': groups = optarg; break;
		case 'c': cwd = optarg; break;
		default: fail("usage", EINVAL);
		}
	}
	if (argc - optind < 3 || strcmp(argv[optind + 2], "--") || argc - optind < 4)
		fail("usage", EINVAL);
	if (fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC) < 0)
		_exit(2);
	load(argv[optind], &p);
	if (uid) {
		p.uid = num(uid, 10);
		p.gid = gid ? num(gid, 10) : 0;
		p.ngroups = 0;
		if (groups)
			parse_groups(&p, groups);
	}
	if (!cwd)
		cwd = p.cwd;
	const char *pid = argv[optind + 1];

	int fds[NNS];
	char nspath[64];
	for (unsigned i = 0; i < NNS; i++) {
		snprintf(nspath, sizeof(nspath), "/proc/%s/ns/%s", pid, ns_names[i]);
		if ((fds[i] = open(nspath, O_RDONLY | O_CLOEXEC)) < 0)
			fail("open ns", errno);
	}
	join_cgroups(&p);
	if (p.oom)
		write_file("/proc/self/oom_score_adj", p.oom, "oom_score_adj");
	for (unsigned i = 0; i < NNS; i++) {
		if (setns(fds[i], 0) < 0)
			fail("setns", errno);
		close(fds[i]);
	}

	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		fail("pipe", errno);
	pid_t c = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (c < 0)
		fail("clone", errno);
	if (c == 0) {
		close(errpipe[0]);
		report = errpipe[1];
		child(&p, cwd, argv + optind + 3);
	}
	close(errpipe[1]);
	dprintf(REPORT_FD, "pid %d\n", c);
	char buf[128];
	ssize_t n;
	while ((n = read(errpipe[0], buf, sizeof(buf))) > 0)
		if (write(REPORT_FD, buf, n) < 0)
			break;
	return 0;
}
