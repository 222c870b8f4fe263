// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title The read side of the key registry that the entitlement token checks proofs against.
interface IKeyRegistry {
    /// @notice The Merkle root anchored for `batchId`, or zero if the batch was never anchored.
    function rootOf(uint64 batchId) external view returns (bytes32);

    /// @notice The same root for issuing entitlements; reverts while the registry is paused.
    function rootForIssuance(uint64 batchId) external view returns (bytes32);
}
