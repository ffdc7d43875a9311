/*
 * skiff-pause: the program of a pod's infra (pause) container. It holds
 * the pod's namespaces by doing nothing: it exits 0 on SIGINT or SIGTERM
 * and, as pid 1 of a shared PID namespace, reaps the orphans re-parented
 * to it. "skiff-pause -v" (or --version) prints its version.
 *
 * No libc: raw system calls, a static binary of a few KB whose resident
 * memory is a handful of pages (its Go predecessor, now in fallback/,
 * held 0.66 MB private per pod). skiffd builds the pause rootfs from this
 * one file, with no image and no registry.
 *
 * It blocks SIGINT, SIGTERM and SIGCHLD and takes them with
 * rt_sigtimedwait, with no handlers: the kernel drops a signal to pid 1
 * of a PID namespace only when it is unblocked and has its default
 * action, so blocked ones reach it.
 *
 * The system call stubs are x86-64's; the Makefile builds this file where
 * they apply and the Go program in fallback/ elsewhere:
 *   cc -static -nostdlib -Os -fno-stack-protector ... -o skiff-pause pause.c
 */
#if !defined(__x86_64__)
#error "skiff-pause's system call stubs are x86-64 only: build cmd/skiff-pause/fallback"
#endif

#ifndef VERSION
#define VERSION "dev"
#endif

#define SYS_write 1
#define SYS_rt_sigprocmask 14
#define SYS_wait4 61
#define SYS_rt_sigtimedwait 128
#define SYS_exit_group 231

#define SIGINT 2
#define SIGTERM 15
#define SIGCHLD 17
#define SIG_BLOCK 0
#define WNOHANG 1
#define SIGSET_SIZE 8 /* the kernel's sigset_t: 64 signals */

static long sys4(long n, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return r;
}

static void exit_group(int code)
{
	for (;;)
		sys4(SYS_exit_group, code, 0, 0, 0);
}

static int equal(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static void print_version(void)
{
	static const char msg[] = "skiff-pause " VERSION "\n";

	sys4(SYS_write, 1, (long)msg, sizeof msg - 1, 0);
}

static void reap(void)
{
	while (sys4(SYS_wait4, -1, 0, WNOHANG, 0) > 0)
		;
}

/* main is called by _start with the initial stack: argc, argv..., NULL. */
__attribute__((used, noreturn)) static void main_(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	unsigned long set = (1UL << (SIGINT - 1)) | (1UL << (SIGTERM - 1)) | (1UL << (SIGCHLD - 1));
	unsigned char info[128]; /* siginfo_t */

	if (argc > 1 && (equal(argv[1], "-v") || equal(argv[1], "--version"))) {
		print_version();
		exit_group(0);
	}
	if (sys4(SYS_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, SIGSET_SIZE) < 0)
		exit_group(1);
	for (;;) {
		long sig = sys4(SYS_rt_sigtimedwait, (long)&set, (long)info, 0, SIGSET_SIZE);

		if (sig == SIGCHLD)
			reap();
		else if (sig == SIGINT || sig == SIGTERM)
			exit_group(0);
		/* -EINTR (a stop and continue): wait again */
	}
}

/* The entry point: hand the initial stack pointer to main_, with the
 * stack aligned as a call expects. */
__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call main_\n"
	"	hlt\n");
