// Misbehaving programs for tests/grader/sandbox_test.cpp: one executable, the
// behaviour named by argv[1]. Extra arguments (e.g. a unique token) only make
// the processes findable in /proc.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) std::exit(90);
    done += static_cast<std::size_t>(n);
  }
}

// stdout "out-text", stderr "err-text", results "results-text".
int echo() {
  write_all(1, "out-text");
  write_all(2, "err-text");
  write_all(3, "results-text");
  return 0;
}

// Copies stdin to stdout.
int cat() {
  std::string data;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(0, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  write_all(1, data);
  return 0;
}

// The address lives in a volatile global so the compiler cannot see it is null.
volatile std::uintptr_t bad_address = 0;

int segfault() {
  *reinterpret_cast<volatile int*>(bad_address) = 42;
  return 0;
}

int spin() {
  volatile std::uint64_t counter = 0;
  for (;;) counter = counter + 1;
}

int sleep_long() {
  std::this_thread::sleep_for(std::chrono::seconds(60));
  return 0;
}

// Writes "tick" on the results channel `count` times, 200 ms apart (a program
// that answers a check every 200 ms), then sleeps without answering.
int tick(long count) {
  for (long i = 0; i < count; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    write_all(3, "tick\n");
  }
  return sleep_long();
}

// Allocates and touches memory until allocation fails; the bad_alloc is not
// caught, like a student's program that does not expect it.
int memory_bomb() {
  std::vector<std::unique_ptr<char[]>> chunks;
  for (;;) {
    constexpr std::size_t chunk = 16 << 20;
    chunks.emplace_back(new char[chunk]);
    std::memset(chunks.back().get(), 1, chunk);
  }
}

// Writes megabytes MiB to stdout and to stderr, interleaved.
int flood(long megabytes) {
  const std::string block(1 << 20, 'x');
  for (long i = 0; i < megabytes; ++i) {
    write_all(1, block);
    write_all(2, block);
  }
  return 0;
}

// Every process forks forever; "forked" on the results channel shows it started.
int fork_bomb() {
  bool reported = false;
  for (;;) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::usleep(1000);
    } else if (pid == 0) {
      reported = true;  // only the first process reports
    } else if (!reported) {
      write_all(3, "forked");
      reported = true;
    }
  }
}

// Leaves a double-forked, SIGTERM-ignoring daemon in a new session, which
// writes file "marker" into the working directory after delay_ms; the
// program itself exits at once with "spawned" on the results channel.
int daemonize(long delay_ms) {
  const pid_t child = ::fork();
  if (child < 0) return 10;
  if (child == 0) {
    ::setsid();
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    const pid_t grandchild = ::fork();
    if (grandchild < 0) ::_exit(11);
    if (grandchild == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      const int fd = ::open("marker", O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) ::close(fd);
      std::this_thread::sleep_for(std::chrono::seconds(60));
      ::_exit(0);
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 12;
  write_all(3, "spawned");
  return 0;
}

// Creates path and writes to it; prints "ok" or "error: <reason>".
int write_file(const char* path) {
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::write(fd, "x", 1) != 1) {
    std::cout << "error: " << std::strerror(errno) << "\n";
    return 0;
  }
  ::close(fd);
  std::cout << "ok\n";
  return 0;
}

// Prints the first line of the file at path, or "error: <reason>".
int read_file(const char* path) {
  std::FILE* file = std::fopen(path, "r");
  if (file == nullptr) {
    std::cout << "error: " << std::strerror(errno) << "\n";
    return 0;
  }
  char line[256] = {};
  if (std::fgets(line, sizeof line, file) == nullptr) line[0] = '\0';
  std::fclose(file);
  std::cout << line;
  return 0;
}

// Connects to 127.0.0.1:port; prints "connected" or "error: <reason>".
int connect_to(long port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    std::cout << "error: socket: " << std::strerror(errno) << "\n";
    return 0;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    std::cout << "error: connect: " << std::strerror(errno) << "\n";
    return 0;
  }
  std::cout << "connected\n";
  return 0;
}

// Writes 1 MiB blocks to "big.bin" until the file size limit stops it.
int big_file() {
  const int fd = ::open("big.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 20;
  const std::string block(1 << 20, 'x');
  for (int i = 0; i < 256; ++i)
    if (::write(fd, block.data(), block.size()) < 0) return 21;
  return 0;
}

// Opens /dev/null until it fails; prints "<count> <reason>".
int open_files() {
  int count = 0;
  for (;;) {
    if (::open("/dev/null", O_RDONLY) < 0) break;
    ++count;
    if (count > 1000000) return 30;
  }
  std::cout << count << " " << std::strerror(errno) << "\n";
  return 0;
}

// Prints the environment, one entry per line.
int print_env() {
  for (char** entry = environ; *entry != nullptr; ++entry) std::cout << *entry << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 99;
  const std::string mode = argv[1];
  const auto number = [&](long fallback) { return argc > 2 ? std::strtol(argv[2], nullptr, 10) : fallback; };
  if (mode == "echo") return echo();
  if (mode == "cat") return cat();
  if (mode == "exit") return static_cast<int>(number(0));
  if (mode == "segfault") return segfault();
  if (mode == "abort") std::abort();
  if (mode == "spin") return spin();
  if (mode == "sleep") return sleep_long();
  if (mode == "tick") return tick(number(0));
  if (mode == "memory_bomb") return memory_bomb();
  if (mode == "flood") return flood(number(1));
  if (mode == "fork_bomb") return fork_bomb();
  if (mode == "daemon") return daemonize(number(300));
  if (mode == "write_file" && argc > 2) return write_file(argv[2]);
  if (mode == "read_file" && argc > 2) return read_file(argv[2]);
  if (mode == "connect") return connect_to(number(0));
  if (mode == "big_file") return big_file();
  if (mode == "open_files") return open_files();
  if (mode == "env") return print_env();
  return 98;
}
