package spartan.core.store.sqlite;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spartan.core.ChatException;
import spartan.core.ErrorCode;

/**
 * The store's data directory, held for as long as the store is open: created private to its
 * owner, and locked with an OS lock on {@value #LOCK_NAME} so one process at a time uses it.
 */
final class DataDirectory {
  private static final Logger log = LoggerFactory.getLogger(DataDirectory.class);

  static final String LOCK_NAME = "spartan.lock";

  private static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_ONLY_FILE =
      PosixFilePermissions.fromString("rw-------");

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectory(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Creates {@code dir} and the database {@code file} in it privately if they are missing, and
   * takes the directory's lock.
   *
   * @throws ChatException {@code UNAVAILABLE} if another process holds the lock
   */
  static DataDirectory lock(Path dir, Path file) throws IOException {
    createPrivately(dir, file);
    FileChannel channel =
        FileChannel.open(
            dir.resolve(LOCK_NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new ChatException(
            ErrorCode.UNAVAILABLE,
            "The data directory " + dir + " is in use by another Spartan store.");
      }
    } catch (IOException | RuntimeException e) {
      releaseQuietly(null, channel);
      throw e;
    }
    return new DataDirectory(channel, lock);
  }

  /** Releases the lock; never throws. */
  void release() {
    releaseQuietly(lock, channel);
  }

  /**
   * The data holds message bodies and password hashes: a directory this creates is 0700, and the
   * database and lock files are created 0600 before SQLite opens them (SQLite gives the -wal and
   * -shm files the database file's permissions). An existing directory or database file that
   * others may read is left as the operator made it, with a warning. Nothing is done on a file
   * system without POSIX permissions.
   */
  private static void createPrivately(Path dir, Path file) throws IOException {
    if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.createDirectories(dir);
      return;
    }
    if (Files.isDirectory(dir)) {
      warnIfShared(dir, "directory", "chmod 700");
    } else {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
    }
    for (Path f : List.of(file, dir.resolve(LOCK_NAME))) {
      try {
        Files.createFile(f, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
      } catch (FileAlreadyExistsException exists) {
        if (f.equals(file)) {
          warnIfShared(f, "file", "chmod 600");
        }
      }
    }
  }

  private static void warnIfShared(Path p, String what, String fix) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
    perms.removeAll(what.equals("directory") ? OWNER_ONLY_DIR : OWNER_ONLY_FILE);
    if (!perms.isEmpty()) {
      log.warn(
          "The message store's {} {} is open to other users ({}): it holds message bodies and"
              + " password hashes. Restrict it with: {} {}",
          what, p, PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), fix, p);
    }
  }

  private static void releaseQuietly(FileLock lock, FileChannel channel) {
    try {
      if (lock != null) {
        lock.release();
      }
    } catch (IOException e) {
      log.debug("Releasing the data directory lock failed", e);
    }
    try {
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      log.debug("Closing the data directory lock failed", e);
    }
  }
}
