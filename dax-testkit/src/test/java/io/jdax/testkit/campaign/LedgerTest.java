package io.jdax.testkit.campaign;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LedgerTest {

    private static byte[] fill(int n, int v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    @Test
    void anAcknowledgedWriteMustSurviveAndAnUnacknowledgedOneMayTear() {
        Ledger l = Ledger.ofZeros(100);
        l.willWrite(10, fill(10, 1));
        l.acknowledge();
        l.willWrite(30, fill(10, 2));
        byte[] image = new byte[100];
        image[10] = 1; // 11..19 lost: acknowledged but zero
        image[30] = 2; // 31..39 torn: unacknowledged, still zero
        Ledger.Verdict v = l.check(image);
        assertEquals(List.of(new Ledger.LostRange(11, 9)), v.lost());
        assertEquals(9, v.lostBytes());
        assertEquals(9, v.torn());
    }

    @Test
    void aByteMayHoldAnyValueWrittenSinceItsAcknowledgementButNoOlderOne() {
        Ledger l = Ledger.ofZeros(16);
        l.willWrite(0, fill(4, 1));
        l.acknowledge();
        l.willWrite(0, fill(4, 2));
        l.willWrite(0, fill(4, 3));
        assertEquals(0, l.check(new byte[] {1, 2, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).lostBytes());
        assertEquals(2, l.check(new byte[] {1, 2, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).torn());
        Ledger.Verdict v = l.check(new byte[] {0, 2, 9, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        assertEquals(List.of(new Ledger.LostRange(0, 1), new Ledger.LostRange(2, 1)), v.lost(),
                "0 predates the acknowledgement, 9 was never written");
    }

    @Test
    void aRangeAcknowledgementCoversOnlyItsRange() {
        Ledger l = Ledger.ofZeros(64);
        l.willWrite(0, fill(64, 5));
        l.acknowledge(0, 32);
        Ledger.Verdict v = l.check(new byte[64]);
        assertEquals(List.of(new Ledger.LostRange(0, 32)), v.lost());
        assertEquals(32, v.torn());
        l.willWrite(0, fill(8, 6));
        byte[] image = fill(64, 5);
        assertEquals(0, l.check(image).lostBytes(), "5 was acknowledged at 0..7 before the 6s came");
        assertEquals(8, l.check(image).torn());
    }

    @Test
    void foreignBytesWhereNothingWasWrittenAreLost() {
        Ledger l = Ledger.ofZeros(32);
        byte[] image = new byte[32];
        image[31] = 7;
        assertEquals(List.of(new Ledger.LostRange(31, 1)), l.check(image).lost());
    }

    @Test
    void badDeclarationsFail() {
        Ledger l = Ledger.ofZeros(32);
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> l.willWrite(30, new byte[3])).errno());
        assertEquals(Errno.ERANGE, assertThrows(DaxException.class, () -> l.acknowledge(-1, 2)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DaxException.class, () -> l.check(new byte[31])).errno());
    }
}
