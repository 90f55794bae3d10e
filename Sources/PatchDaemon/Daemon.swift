import AWSClient
import AWSProtocol
import Foundation
import Logging
import PatchCore
import PatchStore
import ServiceLifecycle
import Systemd
import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// `patchd`: the agent as it runs on a node. One ServiceGroup: the socket API (which, on SIGTERM, stops accepting
/// and waits for a running operation to finish — a package transaction is never cut half-way) and the watchdog.
public enum PatchdMain {
    static let usage = """
        usage: patchd [--config FILE] [--socket PATH] [--state-dir DIR] [--root DIR] [--version]

          --config FILE     configuration (default /etc/patchd/patchd.yaml; missing file: defaults)
          --socket PATH     the API socket (default /run/patchd/patchd.sock, or the one systemd passes)
          --state-dir DIR   state database directory (default /var/lib/patchd)
          --root DIR        the system to manage (default /)
        """

    /// Runs until SIGTERM/SIGINT; returns the exit status.
    public static func run(arguments: [String]) async -> Int32 {
        var configPath = "/etc/patchd/patchd.yaml"
        var overrides: [(WritableKeyPath<DaemonConfiguration, String>, String)] = []
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            func value() -> String? {
                i += 1
                return i < arguments.count ? arguments[i] : nil
            }
            switch arg {
            case "--version", "-V":
                print("patchd \(PatchdVersion.current)")
                return 0
            case "--help", "-h":
                print(usage)
                return 0
            case "--config":
                guard let v = value() else { return fail("--config needs a file") }
                configPath = v
            case "--socket":
                guard let v = value() else { return fail("--socket needs a path") }
                overrides.append((\.socketPath, v))
            case "--state-dir":
                guard let v = value() else { return fail("--state-dir needs a directory") }
                overrides.append((\.stateDirectory, v))
            case "--root":
                guard let v = value() else { return fail("--root needs a directory") }
                overrides.append((\.root, v))
            default:
                return fail("unknown argument '\(arg)'\n\(usage)")
            }
            i += 1
        }
        var configuration: DaemonConfiguration
        do {
            configuration = try DaemonConfiguration.load(path: configPath)
        } catch {
            return fail("\(error)")
        }
        for (key, value) in overrides { configuration[keyPath: key] = value }

        let environment = ProcessInfo.processInfo.environment
        let factory = PatchdLogging.bootstrap(
            identifier: "patchd", environment: environment, journalSocketPath: configuration.journalSocket)
        LoggingSystem.bootstrap(factory)
        let logger = Logger(label: "patchd")

        let store: PatchStore
        do {
            store = try PatchStore(directory: configuration.stateDirectory)
        } catch {
            logger.critical("cannot open the state database: \(error)")
            return 1
        }
        let clock: @Sendable () -> UTCInstant = {
            UTCInstant(secondsSinceEpoch: Int64(Date().timeIntervalSince1970.rounded(.down)))
        }
        let runner = OperationRunner(store: store, configuration: configuration, clock: clock)
        var reporter: UpstreamReporter?
        if let endpoint = configuration.upstreamEndpoint {
            let registration: NodeRegistration?
            do {
                registration = try NodeRegistration.load(stateDirectory: configuration.stateDirectory)
            } catch {
                logger.critical("\(error)")
                return 1
            }
            if let registration {
                let client = AWSJSONClient(
                    endpoint: endpoint, region: configuration.upstreamRegion,
                    credentials: AWSCredentials(
                        accessKeyID: registration.accessKeyId, secretAccessKey: registration.secretAccessKey,
                        sessionToken: registration.sessionToken),
                    transport: HTTPSClient(options: HTTPSClient.Options(caFile: configuration.caFile)))
                let sender = UpstreamReporter(store: store, clock: clock) { operation, input in
                    try await client.call(operation: operation, input: input)
                }
                await runner.setUpstream(instanceId: registration.instanceId, reporter: sender)
                reporter = sender
                logger.info("reporting to \(endpoint) as \(registration.instanceId)")
            } else {
                logger.warning(
                    "upstream_endpoint is \(endpoint) but this node is not registered (patchctl register): results stay local"
                )
            }
        }
        await runner.resumeUnfinished()
        let router = APIRouter(runner: runner, store: store, configuration: configuration, clock: clock)

        let server: UnixSocketServer
        let activated = SocketActivation.listenFDs(environment: environment, pid: getpid())
        SocketActivation.unsetEnvironment()
        do {
            if let socket = activated.first(where: { SocketActivation.isUnixStreamListener(fd: $0.fd) }) {
                server = try UnixSocketServer(listeningDescriptor: socket.fd) { await router.handle($0) }
                logger.info("serving on the socket systemd passed (fd \(socket.fd))")
            } else {
                server = try UnixSocketServer(path: configuration.socketPath, group: configuration.socketGroup) {
                    await router.handle($0)
                }
                logger.info("serving on \(configuration.socketPath)")
            }
        } catch {
            logger.critical("\(error)")
            return 1
        }
        let notifier = SystemdNotifier(environment: environment)
        let api = APIService(server: server, runner: runner, notifier: notifier, logger: logger)
        // Shut down in reverse order: the API first (it waits for a running operation), the watchdog last, so it
        // keeps pinging while an install finishes.
        var services: [any Service] = []
        if let notifier, let watchdog = Watchdog(environment: environment, pid: getpid()) {
            services.append(WatchdogService(watchdog: watchdog, notifier: notifier))
        }
        services.append(api)
        if let reporter { services.append(ReporterService(reporter: reporter)) }
        if !configuration.schedule.isEmpty {
            let scheduler = Scheduler(
                entries: configuration.schedule, clock: clock, sleep: { try? await Task.sleep(for: $0) },
                start: { await runner.start($0) }, log: { logger.info("\($0)") })
            services.append(SchedulerService(scheduler: scheduler))
            logger.info("local schedule: \(configuration.schedule.count) entr(y/ies)")
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("stopped: \(error)")
            return 1
        }
        return 0
    }

    static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("patchd: \(message)\n".utf8))
        return 2
    }
}

/// The socket API as a service: serves until graceful shutdown, then stops accepting and lets a running operation
/// finish before returning.
struct APIService: Service {
    let server: UnixSocketServer
    let runner: OperationRunner
    let notifier: SystemdNotifier?
    let logger: Logger

    func run() async throws {
        server.start()
        try? notifier?.ready()
        try? notifier?.status("idle")
        logger.info("patchd \(PatchdVersion.current) ready")
        try? await gracefulShutdown()
        try? notifier?.stopping()
        server.stop()
        if await runner.isBusy {
            logger.notice("waiting for the running operation to finish before stopping")
            try? notifier?.status("stopping: waiting for the running operation")
        }
        await runner.waitUntilIdle()
        logger.info("stopped")
    }
}

/// Sends the outbox upstream until graceful shutdown (a report in flight is abandoned and stays in the outbox).
struct ReporterService: Service {
    let reporter: UpstreamReporter

    func run() async throws {
        await cancelWhenGracefulShutdown { await reporter.run() }
    }
}

struct SchedulerService: Service {
    let scheduler: Scheduler

    func run() async throws {
        await cancelWhenGracefulShutdown { await scheduler.run() }
    }
}

struct WatchdogService: Service {
    let watchdog: Watchdog
    let notifier: SystemdNotifier

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await watchdog.run(notifier: notifier)
        }
    }
}
