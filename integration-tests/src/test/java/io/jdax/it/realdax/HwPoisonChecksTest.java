package io.jdax.it.realdax;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What of {@link HwPoisonChecks} can run outside the guest: the refusal to poison anything
 * elsewhere (this test never calls madvise), and the reading of HotSpot's fatal-error log.
 */
class HwPoisonChecksTest {
    @Test
    void refusesWithoutTheGuestsKernelCommandLineMarkerAndInit() {
        String guest = "console=ttyS0 panic=-1 oops=panic mitigations=off rdinit=/init jdax.guest=1\n";
        assertNull(HwPoisonChecks.notInGuest(guest, "1"));
        assertNotNull(HwPoisonChecks.notInGuest(guest, null), "JDAX_GUEST unset");
        assertNotNull(HwPoisonChecks.notInGuest(guest, "0"));
        assertNotNull(HwPoisonChecks.notInGuest("console=ttyS0 quiet\n", "1"), "no marker");
        assertNotNull(HwPoisonChecks.notInGuest("console=ttyS0 xjdax.guest=1 jdax.guest=10\n", "1"),
                "only the whole parameter counts");
        assertNotNull(HwPoisonChecks.notInGuest(null, "1"), "no /proc/cmdline");
    }

    @Test
    void namesTheSignalHotSpotLogsAsUnknown() {
        assertEquals("SIGBUS BUS_MCEERR_AR (si_code 4), si_addr 0x7fd9ec203000", HwPoisonChecks.signal(
                "si_signo: 7 (SIGBUS), si_code: 4 (unknown), si_addr: 0x00007fd9ec203000"));
        assertEquals("SIGBUS BUS_ADRERR (si_code 2), si_addr 0x1000", HwPoisonChecks.signal(
                "si_signo: 7 (SIGBUS), si_code: 2 (BUS_ADRERR), si_addr: 0x0000000000001000"));
        assertEquals("something else", HwPoisonChecks.signal("something else"));
    }

    @Test
    void explainsTheErrnosMadviseGives() {
        assertTrue(HwPoisonChecks.errnoMeaning(22).contains("CONFIG_MEMORY_FAILURE"));
        assertTrue(HwPoisonChecks.errnoMeaning(1).contains("CAP_SYS_ADMIN"));
        assertEquals("ENOSPC", HwPoisonChecks.errnoMeaning(28));
    }
}
