package io.jdax.dax;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceGateTest {

    @Test
    void entriesAfterKillFailWithEnxio() {
        DeviceGate gate = new DeviceGate("dev0");
        gate.enter();
        gate.exit();
        assertTrue(gate.kill(Duration.ofSeconds(1)));
        assertFalse(gate.isAlive());
        DaxException e = assertThrows(DaxException.class, gate::enter);
        assertEquals(Errno.ENXIO, e.errno());
        assertTrue(e.getMessage().contains("dev0"));
        assertFalse(gate.kill(Duration.ofSeconds(1)), "a second kill reports it was already dead");
    }

    @Test
    void killWaitsForOperationsInFlight() throws Exception {
        DeviceGate gate = new DeviceGate("dev1");
        CountDownLatch entered = new CountDownLatch(1);
        AtomicBoolean exited = new AtomicBoolean();
        Thread t = new Thread(() -> {
            try (DaxReadLock l = gate.lock()) {
                entered.countDown();
                Thread.sleep(200);
                exited.set(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        entered.await();
        gate.kill(Duration.ofSeconds(10));
        assertTrue(exited.get(), "kill returned only after the holder left");
        t.join();
    }

    @Test
    void killGivesUpWithEbusyWhenALockIsNeverReleased() {
        DeviceGate gate = new DeviceGate("dev2");
        DaxReadLock leaked = gate.lock();
        DaxException e = assertThrows(DaxException.class, () -> gate.kill(Duration.ofMillis(50)));
        assertEquals(Errno.EBUSY, e.errno());
        leaked.close();
        leaked.close(); // idempotent: must not drive the count negative
        gate.kill(Duration.ofMillis(50));
    }

    @Test
    void closeReleasesExactlyOnceAlsoWhenARetryFollowsEbusy() {
        DeviceGate gate = new DeviceGate("dev3");
        java.util.concurrent.atomic.AtomicInteger releases = new java.util.concurrent.atomic.AtomicInteger();
        DaxReadLock held = gate.lock();
        assertEquals(Errno.EBUSY, assertThrows(DaxException.class,
                () -> gate.close(Duration.ofMillis(20), releases::incrementAndGet)).errno());
        assertEquals(0, releases.get(), "nothing is released while a lock is held");
        held.close();
        gate.close(Duration.ofMillis(20), releases::incrementAndGet);
        gate.close(Duration.ofMillis(20), releases::incrementAndGet);
        assertEquals(1, releases.get(), "the retry released, and only once");
    }
}
