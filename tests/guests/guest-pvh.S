/* guest-pvh.S: the start benchmark's guest, a PVH ELF: from its 32-bit entry it writes the
 * marker "pvh-ok" to the UART at 0x3f8 and powers off through ACPI S5 (PM1a control 0x604).
 * A dozen ring-0 instructions: PVM hosts emulate them. */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4                 /* namesz: "Xen\0" */
    .long 4                 /* descsz */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .long pvh_start

    .section .text.start, "ax"
    .code32
    .globl _start
_start:
pvh_start:
    mov $marker, %esi
    mov $0x3f8, %dx
1:  movb (%esi), %al
    test %al, %al
    jz 2f
    outb %al, %dx
    inc %esi
    jmp 1b
2:  mov $0x604, %dx
    mov $((5 << 10) | (1 << 13)), %ax
    outw %ax, %dx
3:  jmp 3b

    .section .rodata
marker:
    .asciz "pvh-ok\n"
