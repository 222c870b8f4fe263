// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/**
 * @title LedgerAnchor
 * @notice Anchors the platform's hash-chained ledger journal: each anchor says "the first `size`
 * journal entries hash to `root`". Sizes strictly increase, so an anchored prefix can never be
 * rewritten without the chain showing it.
 */
contract LedgerAnchor is AccessControl {
    /// @notice May anchor ledger heads.
    bytes32 public constant ANCHOR_ROLE = keccak256("ANCHOR_ROLE");

    struct Anchor {
        bytes32 root;
        uint64 size;
        uint64 blockNumber;
        uint64 timestamp;
    }

    Anchor[] private _anchors;

    /// @notice The ledger's first `size` entries were anchored as `root`; `index` is its position.
    event LedgerAnchored(uint64 indexed size, bytes32 root, uint256 index);

    /// @notice A new anchor must cover more entries than the previous one.
    error NonIncreasingSize(uint64 previous, uint64 size);
    /// @notice A zero root carries no commitment.
    error ZeroRoot();
    /// @notice No anchor has been recorded yet.
    error NoAnchors();
    /// @notice There is no anchor at `index`; `count` anchors exist.
    error AnchorIndexOutOfRange(uint256 index, uint256 count);
    /// @notice A role holder must not be the zero address.
    error ZeroAddress();

    constructor(address admin, address anchorer) {
        if (admin == address(0) || anchorer == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHOR_ROLE, anchorer);
    }

    /**
     * @notice Records that the first `size` journal entries hash to `root`.
     * @dev Requirements:
     * - the caller holds ANCHOR_ROLE;
     * - `root` is not zero;
     * - `size` is greater than the latest anchored size (and than zero for the first anchor).
     */
    function anchor(uint64 size, bytes32 root) external onlyRole(ANCHOR_ROLE) {
        if (root == bytes32(0)) revert ZeroRoot();
        uint256 count = _anchors.length;
        uint64 previous = count == 0 ? 0 : _anchors[count - 1].size;
        if (size <= previous) revert NonIncreasingSize(previous, size);
        _anchors.push(Anchor(root, size, uint64(block.number), uint64(block.timestamp)));
        emit LedgerAnchored(size, root, count);
    }

    /// @notice The latest anchor. Reverts with {NoAnchors} before the first one.
    function latestAnchor() external view returns (uint64 size, bytes32 root, uint256 index) {
        uint256 count = _anchors.length;
        if (count == 0) revert NoAnchors();
        Anchor storage latest = _anchors[count - 1];
        return (latest.size, latest.root, count - 1);
    }

    /// @notice The anchor at `index` with the block it was recorded in.
    function anchorAt(uint256 index)
        external
        view
        returns (uint64 size, bytes32 root, uint64 blockNumber, uint64 timestamp)
    {
        uint256 count = _anchors.length;
        if (index >= count) revert AnchorIndexOutOfRange(index, count);
        Anchor storage found = _anchors[index];
        return (found.size, found.root, found.blockNumber, found.timestamp);
    }

    /// @notice How many anchors were recorded.
    function anchorCount() external view returns (uint256) {
        return _anchors.length;
    }
}
