package spartan.core.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Owner-only, atomic file writes and bounded reads for key and pin files. Exists because the JDK
 * has the pieces (POSIX attributes, atomic rename) but no one call that creates a file 0600 from
 * its first byte and publishes it whole.
 */
public final class SecureFiles {
  private static final Set<PosixFilePermission> FILE_0600 =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> DIR_0700 =
      PosixFilePermissions.fromString("rwx------");

  private SecureFiles() {}

  static boolean posix(Path file) {
    return file.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** Creates missing parent directories owner-only (0700); existing ones are left alone. */
  static void createParents(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir == null || Files.isDirectory(dir)) {
      return;
    }
    createParents(dir);
    try {
      if (posix(dir)) {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_0700));
      } else {
        Files.createDirectory(dir);
      }
    } catch (FileAlreadyExistsException raced) {
      // another process made it between the check and the create; fine if it is a directory
      if (!Files.isDirectory(dir)) {
        throw raced;
      }
    }
  }

  /**
   * Writes {@code content} to {@code file} so that no reader ever sees a partial file and the file
   * is never readable by others: a 0600 temporary file in the same directory, forced to disk, then
   * renamed into place. With {@code replace} false, fails with {@link FileAlreadyExistsException}
   * rather than overwrite (the link step is atomic where hard links are supported).
   */
  public static void writeAtomically(Path file, byte[] content, boolean replace)
      throws IOException {
    createParents(file);
    Path dir = file.toAbsolutePath().getParent();
    FileAttribute<?>[] attrs =
        posix(dir)
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_0600)}
            : new FileAttribute<?>[0];
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", attrs);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      if (replace) {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        try {
          Files.createLink(file, tmp); // atomic no-clobber publish
        } catch (FileAlreadyExistsException exists) {
          throw exists;
        } catch (UnsupportedOperationException | FileSystemException noLinks) {
          // a file system without hard links: rename without REPLACE_EXISTING, which fails if
          // the file exists (checked just before the rename, so not atomic against a racer)
          Files.move(tmp, file);
        }
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads a whole file of at most {@code maxBytes}; a longer file is a {@link KeyFileException}.
   * With {@code ownerOnly}, a POSIX file readable or writable by group or others is refused too, as
   * ssh refuses a world-readable private key.
   */
  static byte[] readBounded(Path file, int maxBytes, boolean ownerOnly) throws IOException {
    if (ownerOnly && posix(file)) {
      Set<PosixFilePermission> perms =
          Files.getFileAttributeView(file, PosixFileAttributeView.class)
              .readAttributes()
              .permissions();
      if (!FILE_0600.containsAll(perms)) {
        throw new KeyFileException(
            file,
            "permissions "
                + PosixFilePermissions.toString(perms)
                + " let other users read it; it must be rw------- (chmod 600)");
      }
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] content = in.readNBytes(maxBytes + 1);
      if (content.length > maxBytes) {
        throw new KeyFileException(file, "longer than " + maxBytes + " bytes, not a key file");
      }
      return content;
    }
  }
}
