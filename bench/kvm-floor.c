/* kvm-floor.c: the benchmarks' floor: the least a process can do to run the PVH test guest
 * on KVM (one memslot, one vCPU in 32-bit protected mode, port I/O to stdout, exit on the
 * guest's write to 0x604). No devices, no ACPI, no control socket: what lite-vmm costs on
 * top of KVM itself is measured against this. Built by bench/vm-start; not part of lite-vmm.
 * Usage: kvm-floor GUEST_ELF [--hold] [--irqchip]
 *   --hold: after power off, wait for stdin to close (memory benchmark)
 *   --irqchip: also create KVM's in-kernel PIC/IOAPIC/LAPIC, as lite-vmm must: its creation
 *   and teardown are a large part of a short VM's life */
#include <elf.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAM (64UL << 20)

static void
die(const char *what)
{
    perror(what);
    exit(1);
}

static uint32_t
pvh_entry(const unsigned char *img, const Elf64_Ehdr *eh)
{
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);

    for (int i = 0; i < eh->e_phnum; i++) {
        const unsigned char *n = img + ph[i].p_offset;

        /* The test guest has exactly one note: "Xen", type 18, a 32-bit entry. */
        if (ph[i].p_type == PT_NOTE && memcmp(n + 12, "Xen", 4) == 0)
            return *(const uint32_t *)(n + 16);
    }
    return (uint32_t)eh->e_entry;
}

int
main(int argc, char **argv)
{
    int kvm, vm, vcpu, fd;
    struct stat st;
    unsigned char *img, *ram;
    Elf64_Ehdr *eh;
    Elf64_Phdr *ph;
    struct kvm_run *run;
    struct kvm_sregs sregs;
    struct kvm_regs regs = { .rflags = 2 };
    struct kvm_segment code = { .limit = 0xffffffff, .selector = 8, .type = 11, .present = 1,
                                .db = 1, .s = 1, .g = 1 };
    struct kvm_segment data = code;

    if (argc < 2)
        return 2;
    if ((fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st) < 0)
        die("guest");
    img = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if ((kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
        die("/dev/kvm");
    if ((vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
        die("KVM_CREATE_VM");
    ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct kvm_userspace_memory_region slot = { .memory_size = RAM,
                                                .userspace_addr = (uint64_t)ram };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
        die("memslot");
    eh = (Elf64_Ehdr *)img;
    ph = (Elf64_Phdr *)(img + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_paddr + ph[i].p_memsz <= RAM)
            memcpy(ram + ph[i].p_paddr, img + ph[i].p_offset, ph[i].p_filesz);
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--irqchip") == 0 && ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
            die("KVM_CREATE_IRQCHIP");
    }
    if ((vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0)
        die("KVM_CREATE_VCPU");
    run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED,
               vcpu, 0);
    ioctl(vcpu, KVM_GET_SREGS, &sregs);
    data.type = 3;
    data.selector = 0x10;
    sregs.cs = code;
    sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = data;
    sregs.cr0 = 0x11;
    sregs.cr4 = 0;
    sregs.efer = 0;
    regs.rip = pvh_entry(img, eh);
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        die("registers");
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0)
            die("KVM_RUN");
        if (run->exit_reason != KVM_EXIT_IO) {
            fprintf(stderr, "exit reason %u\n", run->exit_reason);
            return 1;
        }
        if (run->io.port == 0x3f8 && run->io.direction == KVM_EXIT_IO_OUT) {
            if (write(1, (char *)run + run->io.data_offset, 1) != 1)
                return 1;
        } else if (run->io.port == 0x604) {
            break;
        }
    }
    for (int i = 2; i < argc; i++) {
        char c;

        if (strcmp(argv[i], "--hold") == 0)
            while (read(0, &c, 1) > 0)
                ;
    }
    return 0;
}
