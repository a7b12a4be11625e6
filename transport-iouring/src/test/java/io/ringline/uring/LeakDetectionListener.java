package io.ringline.uring;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Makes Netty's leak reports visible to the tests: when the JUnit launcher session opens, before any test class has
 * loaded Netty's buffers (their leak detectors are created in static initializers), it installs a
 * {@link ResourceLeakDetectorFactory} whose detectors record every leak they report. {@link LeakDetectionExtension}
 * fails the test class after which a leak was recorded. Registered through
 * {@code META-INF/services/org.junit.platform.launcher.LauncherSessionListener}.
 */
public final class LeakDetectionListener implements LauncherSessionListener {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static final List<ResourceLeakDetector<?>> DETECTORS = new CopyOnWriteArrayList<>();
    private static final Set<Class<?>> TRACKED = ConcurrentHashMap.newKeySet();
    private static boolean installed;

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        install();
    }

    /** Installs the recording factory once per JVM. */
    static synchronized void install() {
        if (!installed) {
            ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
            installed = true;
        }
    }

    /** Whether a detector of the installed factory tracks {@code resource}, i.e. the guard sees its leaks. */
    static boolean tracks(Class<?> resource) {
        return TRACKED.contains(resource);
    }

    /** The leaks recorded since the last call, oldest first. */
    static List<String> drainLeaks() {
        List<String> leaks = new ArrayList<>(LEAKS);
        LEAKS.removeAll(leaks);
        return leaks;
    }

    /**
     * Has every detector look at its queue of collected, unreleased resources: a detector only does so when it is
     * asked to track something new, so a leak of a type nobody allocates any more would otherwise go unreported.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static void pollDetectors() {
        for (ResourceLeakDetector detector : DETECTORS) {
            Object probe = new Object();
            ResourceLeakTracker<Object> tracker = detector.track(probe);
            if (tracker != null) {
                tracker.close(probe);
            }
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                   long maxActive) {
            ResourceLeakDetector<T> detector = new RecordingDetector<>(resource, samplingInterval, maxActive);
            DETECTORS.add(detector);
            TRACKED.add(resource);
            return detector;
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<?> resource, int samplingInterval, long maxActive) {
            super(resource, samplingInterval, maxActive);
        }

        @Override
        protected boolean needReport() {
            return true; // whatever the logging configuration says
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected."
                    + records);
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected"
                    + " (no access records: run with -Dio.netty.leakDetection.level=PARANOID)");
            super.reportUntracedLeak(resourceType);
        }

        @Override
        protected void reportInstancesLeak(String resourceType) {
            LEAKS.add("LEAK: too many live instances of " + resourceType);
            super.reportInstancesLeak(resourceType);
        }
    }
}
