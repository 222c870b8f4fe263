// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IKeyRegistry} from "./interfaces/IKeyRegistry.sol";

/**
 * @title KeyRegistry
 * @notice Commits each imported batch of card keys on-chain as one Merkle root, before any of its
 * keys is sold. A leaf is keccak256(bytes.concat(keccak256(abi.encode(chainId, registry, shopId,
 * batchId, leafIndex, commitment)))) (OpenZeppelin standard tree), so a root anchored here can
 * only ever prove keys for this chain, this registry, its shop and its batch.
 * @dev Gas is the design constraint: a batch costs exactly one storage slot (the root). The shop,
 * key count and issuer are in the {BatchAnchored} event only; everything that checks proofs needs
 * nothing but the root.
 *
 * The pause does not guard {anchorBatch}: its fixed costs (21,000 base, about 1,000 of calldata,
 * 22,100 for the new root slot, 2,100 for the role check, 2,268 for the event) already come to
 * 48,500 gas, and reading a pause flag from its own cold slot would add 2,100, past the goal of
 * 50,000 gas for a 1,000-key batch. Instead the pause freezes what a root is used for:
 * {rootForIssuance}, which the entitlement token calls once per issue transaction, reverts
 * while paused. {rootOf} always answers, so verifiers keep working during a pause. To stop a
 * compromised issuer from anchoring, revoke its ISSUER_ROLE.
 */
contract KeyRegistry is IKeyRegistry, AccessControl, Pausable {
    /// @notice May anchor batch roots.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    mapping(uint64 batchId => bytes32 root) private _roots;

    /// @notice A batch's root was anchored.
    event BatchAnchored(uint64 indexed batchId, uint64 indexed shopId, bytes32 root, uint32 keyCount, address issuer);

    /// @notice The batch already has a root; roots are immutable once anchored.
    error BatchAlreadyAnchored(uint64 batchId);
    /// @notice A zero root would read as "not anchored".
    error ZeroRoot(uint64 batchId);
    /// @notice A batch must hold at least one key.
    error ZeroKeyCount(uint64 batchId);
    /// @notice A role holder must not be the zero address.
    error ZeroAddress();

    /**
     * @param admin Holds DEFAULT_ADMIN_ROLE: grants and revokes roles, pauses and unpauses.
     * @param issuer Holds ISSUER_ROLE from the start (more issuers can be granted later).
     */
    constructor(address admin, address issuer) {
        if (admin == address(0) || issuer == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ISSUER_ROLE, issuer);
    }

    /**
     * @notice Anchors the Merkle root of batch `batchId` of shop `shopId`.
     * @dev Requirements:
     * - the caller holds ISSUER_ROLE;
     * - `root` is not zero and `keyCount` is not zero;
     * - `batchId` was never anchored before.
     */
    function anchorBatch(uint64 batchId, uint64 shopId, bytes32 root, uint32 keyCount) external onlyRole(ISSUER_ROLE) {
        if (root == bytes32(0)) revert ZeroRoot(batchId);
        if (keyCount == 0) revert ZeroKeyCount(batchId);
        if (_roots[batchId] != bytes32(0)) revert BatchAlreadyAnchored(batchId);
        _roots[batchId] = root;
        emit BatchAnchored(batchId, shopId, root, keyCount, msg.sender);
    }

    /// @inheritdoc IKeyRegistry
    function rootOf(uint64 batchId) external view returns (bytes32) {
        return _roots[batchId];
    }

    /// @inheritdoc IKeyRegistry
    function rootForIssuance(uint64 batchId) external view whenNotPaused returns (bytes32) {
        return _roots[batchId];
    }

    /**
     * @notice Stops issuance against this registry's roots (see the contract notes).
     * @dev Requirements: the caller holds DEFAULT_ADMIN_ROLE; the registry is not paused.
     */
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /**
     * @notice Resumes issuance against this registry's roots.
     * @dev Requirements: the caller holds DEFAULT_ADMIN_ROLE; the registry is paused.
     */
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }
}
