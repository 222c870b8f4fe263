// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/**
 * @title OzEntitlementBaseline
 * @notice Benchmark only (scripts/bench/gas.ts): the plain design Keyledger is measured against.
 * One OpenZeppelin ERC721 mint per sale, one transaction per redemption (a lock flag + an event),
 * and an ordinary transferFrom for every resale and withdrawal. No proofs at all, so the baseline
 * is cheaper than anything that actually verifies a key.
 */
contract OzEntitlementBaseline is ERC721, Ownable {
    uint256 private _nextTokenId = 1;
    mapping(uint256 tokenId => bool) private _locked;

    event Locked(uint256 tokenId);

    error TokenLocked(uint256 tokenId);

    constructor(address owner) ERC721("Baseline Entitlement", "BASE") Ownable(owner) {}

    function mint(address to) external onlyOwner returns (uint256 tokenId) {
        tokenId = _nextTokenId++;
        _mint(to, tokenId);
    }

    function redeem(uint256 tokenId) external onlyOwner {
        _requireOwned(tokenId);
        _locked[tokenId] = true;
        emit Locked(tokenId);
    }

    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (_locked[tokenId]) revert TokenLocked(tokenId);
        return super._update(to, tokenId, auth);
    }
}
