package dev.attachproof.service;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The container ids both front ends take: full, a prefix of 12 or more, and Kubernetes' containerID. */
class ContainerArgumentTest {
    static final String ID = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";

    @Test
    void takesTheFullIdAPrefixAndKubernetesForms() {
        assertEquals(new ContainerArgument.Parsed.Id(ID), ContainerArgument.parse(ID));
        assertEquals(new ContainerArgument.Parsed.Id("ca978112ca1b"), ContainerArgument.parse("ca978112ca1b"));
        assertEquals(new ContainerArgument.Parsed.Id(ID), ContainerArgument.parse("containerd://" + ID));
        assertEquals(new ContainerArgument.Parsed.Id(ID), ContainerArgument.parse("cri-o://" + ID));
        assertEquals(new ContainerArgument.Parsed.Id("ca978112ca1bbd"), ContainerArgument.parse("docker://ca978112ca1bbd"));
        assertEquals(new ContainerArgument.Parsed.Id(ID), ContainerArgument.parse(ID.toUpperCase()));
    }

    @Test
    void refusesWhatIsNotAnId() {
        assertInvalid("ca978112ca1", "is 11 hex digits: give at least 12");
        assertInvalid(ID + "0", "is 65 hex digits");
        assertInvalid("", "is empty");
        assertInvalid("nginx", "is not a container id");
        assertInvalid("ca978112ca1b ", "is not a container id");
        assertInvalid("٢ca978112ca1b", "is not a container id");
        assertInvalid("rkt://" + ID, "names a runtime not known here");
        assertInvalid("containerd://", "is not a container id");
        assertInvalid("containerd://abc", "is 3 hex digits");
    }

    private static void assertInvalid(String text, String says) {
        ContainerArgument.Parsed.Invalid bad = assertInstanceOf(ContainerArgument.Parsed.Invalid.class, ContainerArgument.parse(text));
        assertTrue(bad.why().contains(says), bad.why());
    }
}
