package io.jdax.x86;

import io.jdax.arch.Arch;
import io.jdax.arch.contract.ArchContractTest;

/** The Arch contract for the native implementation reached through JNI ({@code -Djdax.x86.call=jni}). */
class NativeArchJniContractTest extends ArchContractTest {

    @Override
    protected Arch arch() {
        NativeArchProvider.instance(); // loads the library
        return new NativeArch("test", NativeArch.HeapCopy.PINNED, new JniCalls());
    }
}
