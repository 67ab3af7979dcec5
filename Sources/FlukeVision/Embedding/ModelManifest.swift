import Foundation

/// The int8 model package's manifest (`models/efficientnet-lite0-int8.json`), as far as the
/// runtime needs it. Written by tools/model/build_model.py; `format_version` guards the layout.
struct ModelManifest: Decodable {
    struct Tensor: Decodable {
        let id: Int
        let name: String
        let shapeNHWC: [Int]
        let scale: Float
        let zeroPoint: Int32

        enum CodingKeys: String, CodingKey {
            case id, name, scale
            case shapeNHWC = "shape_nhwc"
            case zeroPoint = "zero_point"
        }
    }

    struct Blob: Decodable {
        let offset: Int
        let nbytes: Int
    }

    struct Layer: Decodable {
        let name: String
        let type: String
        let inputs: [Int]
        let output: Int
        let kernel: [Int]?
        let stride: [Int]?
        let dilation: [Int]?
        /// top, right, bottom, left
        let padding: [Int]?
        let groups: Int?
        let inputChannels: Int?
        let outputChannels: Int?
        let outputMin: Float?
        let outputMax: Float?
        let weights: Blob?
        let weightScalesF32: Blob?
        let bias: Blob?

        enum CodingKeys: String, CodingKey {
            case name, type, inputs, output, kernel, stride, dilation, padding, groups, weights, bias
            case inputChannels = "input_channels"
            case outputChannels = "output_channels"
            case outputMin = "output_min"
            case outputMax = "output_max"
            case weightScalesF32 = "weight_scales_f32"
        }
    }

    struct Input: Decodable {
        let tensor: Int
    }

    let format: String
    let formatVersion: Int
    let model: String
    let bin: BinReference
    let input: Input
    let outputs: [String: Int]
    let tensors: [Tensor]
    let layers: [Layer]

    struct BinReference: Decodable {
        let file: String
        let sha256: String
        let nbytes: Int
    }

    enum CodingKeys: String, CodingKey {
        case format, model, bin, input, outputs, tensors, layers
        case formatVersion = "format_version"
    }
}
