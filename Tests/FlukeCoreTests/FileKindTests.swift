import FlukeCore
import XCTest

final class FileKindTests: XCTestCase {
    func testPhotosInAnyCase() {
        for name in ["IMG_0001.JPG", "a.jpeg", "scan.png", "frame.TIF", "frame.tiff"] {
            XCTAssertEqual(FileKind.classify(fileName: name), .photo, name)
        }
    }

    func testRawFilesAreSidecars() {
        for name in ["IMG_0001.CR2", "x.cr3", "DSC_1.NEF", "a.arw", "b.dng", "c.ORF", "d.raf"] {
            XCTAssertEqual(FileKind.classify(fileName: name), .rawSidecar, name)
        }
    }

    func testHiddenAndTemporaryNamesAreIgnored() {
        for name in [".IMG_0001.JPG", "IMG_0001.JPG.part", "IMG_0001.JPG~", "upload.tmp", ".DS_Store", "x.jpg.crdownload"] {
            XCTAssertEqual(FileKind.classify(fileName: name), .ignoredTemporary, name)
        }
    }

    func testOtherFilesAreLeftAlone() {
        for name in ["clip.MP4", "IMG_0001.xmp", "README", "notes.txt"] {
            XCTAssertEqual(FileKind.classify(fileName: name), .ignoredOther, name)
        }
    }

    func testStemPairsRawWithJpeg() {
        XCTAssertEqual(FileKind.stem(of: "IMG_0042.CR3"), FileKind.stem(of: "IMG_0042.JPG"))
        XCTAssertEqual(FileKind.stem(of: "archive.tar.gz"), "archive.tar")
    }
}
